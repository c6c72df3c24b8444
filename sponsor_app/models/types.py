"""Column types shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC, on SQLite and PostgreSQL alike."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if isinstance(value, datetime) else value


def enum_type(cls, length: int = 20) -> Enum:
    """A Python enum stored as its values in a VARCHAR (no native ENUM: migrations stay simple)."""
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])
