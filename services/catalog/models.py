"""Catalog tables (schema `catalog`); the migrations are the source of truth for DDL."""

from __future__ import annotations

from sqlalchemy import MetaData, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SCHEMA = "catalog"


class Base(DeclarativeBase):
    metadata = MetaData(schema=SCHEMA)


class InnovationBlock(Base):
    __tablename__ = "innovation_blocks"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[dict[str, str]] = mapped_column(JSONB)
    description: Mapped[dict[str, str]] = mapped_column(JSONB)
    position: Mapped[int] = mapped_column(SmallInteger)


class Challenge(Base):
    __tablename__ = "challenges"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[dict[str, str]] = mapped_column(JSONB)
    description: Mapped[dict[str, str]] = mapped_column(JSONB)
    position: Mapped[int] = mapped_column(SmallInteger)
