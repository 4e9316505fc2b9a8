"""Alembic migrations of the SQL store: the environment (`env`) and the revisions (`versions/`),
run by `ivr.store.migrate` at start-up and by the tests.

Owns the history of the schema only. Must not import anything of ours but `ivr.store.schema`
(the metadata `env` compares against); a revision imports only alembic and sqlalchemy, never the
live models, so that an old revision keeps meaning what it meant when it was written.
"""
