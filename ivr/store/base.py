"""The declarative base every SQL table of the app is mapped on, and the UTC datetime column.

Rules:
- Each model module (`models`, `users_model`, `flowversions`, `control_audit`) imports this
  module and nothing imports the model modules back: the dependency is one-way. Whoever needs
  the whole schema (the migrations, the schema test) imports `ivr.store.schema`, which imports
  every model module.
- Times are stored as UTC with `UtcDateTime` (the recordings package's column type, re-exported
  here): timezone-aware datetimes on every backend (SQLite keeps them naive), a naive datetime
  refused on write.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from recordings.models import UtcDateTime  # one UTC column type for every table


class Base(DeclarativeBase):
    pass


__all__ = ["Base", "UtcDateTime"]
