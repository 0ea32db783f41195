"""Safety workflows: backups, PITR base backups, integrity checks and cleanup, one module each."""
