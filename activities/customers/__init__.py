"""Customers: who is slipping away, what each is worth, what to offer next.

`pipeline` holds the activities of CustomerAnalyticsWorkflow (the I/O) and `sql` their SQL;
`analytics` is the public entry of the pure analytics (`summary`, `models`, `spend`,
`selection`, `segments`, `recommendations`, `simulation`, `errors`), which do no I/O.
"""
