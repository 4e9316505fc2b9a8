"""Call control and supervisor monitoring end to end: app + sandbox switch + Redis + SQL."""
