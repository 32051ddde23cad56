"""Transfer tables (schema `transfer`); the migrations are the source of truth."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA = "transfer"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class City(Base):
    __tablename__ = "cities"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    coordinator: Mapped[str] = mapped_column(String(300))
    description: Mapped[dict[str, str]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CityChallenge(Base):
    __tablename__ = "city_challenges"

    city_code: Mapped[str] = mapped_column(ForeignKey(City.code), primary_key=True)
    challenge: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger)
