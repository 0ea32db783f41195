"""Search over a shop's products, orders and customers behind one small interface.

`SearchBackend` (index / delete / search / facets) has two implementations: `PostgresSearch`
(full-text with `unaccent` and trigram word similarity, the default) and `OpenSearchSearch`
(an HTTP adapter for very large tenants). Both pass the same contract tests.
"""
