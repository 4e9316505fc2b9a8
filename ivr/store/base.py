"""The declarative base every SQL table of the app is mapped on, and the UTC datetime column.

Rules:
- Each model module (`models`, `users_model`, `flowversions`) imports this module and nothing
  imports the model modules back: the dependency is one-way. Whoever needs the whole schema
  (the migrations, the schema test) imports `ivr.store.schema`, which imports every model module.
- Times are stored as UTC. `UtcDateTime` returns timezone-aware datetimes on every backend
  (SQLite keeps them naive) and refuses a naive datetime on write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """A DateTime stored as naive UTC and always read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UtcDateTime column; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass
