"""Running the system: backups of the embedded SQLite database with the evidence files."""
