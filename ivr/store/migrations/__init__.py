"""Alembic migrations of the call-record store (run by `ivr.store.migrate`)."""
