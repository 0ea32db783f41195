"""infra/sandbox."""
