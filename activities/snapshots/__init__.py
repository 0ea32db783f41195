"""Snapshots: a shop's whole resource (orders, customers, stock ...) fetched as a Shoptet job.

`pipeline` holds the activities of SnapshotWorkflow (job calls, download, chunked ingest, run
bookkeeping); `files` keeps the downloaded result files; `ingest` turns Shoptet documents into
rows and loads them (incremental sync uses the same mappers and loader).
"""
