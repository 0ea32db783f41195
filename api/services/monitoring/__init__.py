"""The monitoring page's API side: building the report with whatever Temporal is reachable, and
the actions ops take from it (retry a failed run, pause, resume or trigger a schedule). The
checks themselves live in infra/monitoring, shared with the alerting workflow."""
