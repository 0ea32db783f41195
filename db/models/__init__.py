"""db/models."""
