"""Maintenance of the big tables: quarter partitions and their retention to the archive
(`partitions`), archiving and restoring a quarter (`archive`), and the online migration of a
legacy unpartitioned table (`legacy_migration`)."""
