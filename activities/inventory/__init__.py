"""Inventory: what to order, how much, from whom and when.

`planning` holds the activities of InventoryWorkflow (the I/O); `chunk`, `sql` and `purchases`
are its steps; `analytics` is the public entry of the pure analytics (`demand`, `calendar`,
`preparation`, `models`, `forecast`, `policy`, `purchasing`, `anomalies`), which do no I/O.
"""
