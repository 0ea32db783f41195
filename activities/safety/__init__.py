"""Safety of the data: backups and where they are stored (`backups`, `backup_storage`),
point-in-time recovery (`pitr`, `pitr_base`), integrity checks (`integrity`) and the cleanup
of old rows and files (`cleanup`)."""
