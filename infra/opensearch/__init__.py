"""A fake OpenSearch for tests: the subset of the REST API and query DSL db.search.opensearch sends."""
