"""Maintenance workflows: partition maintenance and archive restore (`partitions`), the online
migration of a legacy table (`legacy_migration`)."""
