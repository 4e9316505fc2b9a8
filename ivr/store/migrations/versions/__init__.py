"""Alembic revision scripts, oldest first (`0001_initial` ... ), each a frozen step of the schema.

A revision must not import anything of ours (not even `ivr.store.schema`): only alembic and
sqlalchemy, with the tables written out as they were at that revision.
"""
