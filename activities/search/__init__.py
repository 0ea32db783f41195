"""Search and cache upkeep that runs beside ingest (documents are refreshed in db.search.sources)."""
