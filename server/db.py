"""Persistence plumbing: the declarative base, column types, engines, sessions and migrations."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, cast

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import JSON, Column, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import QueuePool, StaticPool
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import TypeDecorator

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

# Stable constraint names, so that migrations can refer to them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite keeps no offset)."""

    impl = DateTime
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """The declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine tuned per backend: one writer connection for SQLite, a pool for PostgreSQL."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    if not in_memory:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    if in_memory:
        kwargs["poolclass"] = StaticPool
    else:
        # SQLite has one write lock; several connections only queue and back off on it.
        kwargs.update(pool_size=1, max_overflow=0, pool_timeout=60)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def connection_count(engine: Engine) -> int:
    """How many connections `engine` keeps open at once (SQLite's one writer: 1)."""
    pool = engine.pool
    return pool.size() if isinstance(pool, QueuePool) else 1


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any exception."""
    with factory() as session, session.begin():
        yield session


# Held until the migrating transaction ends. SQLite's driver opens its transactions lazily, so
# the exclusive one is begun by hand (the driver then commits it); PostgreSQL's DDL is
# transactional, and an advisory lock (any fixed key) serialises the workers.
_MIGRATION_LOCKS = {
    "sqlite": "BEGIN EXCLUSIVE",
    "postgresql": "SELECT pg_advisory_xact_lock(20261204)",
}


def upgrade_database(engine: Engine) -> None:
    """Apply every Alembic migration not yet applied (called at start-up).

    Several workers start at once: the first to take the database's lock migrates, the others
    wait for its commit and find nothing left to do (unlocked, all but one crashed on the
    `alembic_version` table the first had just created)."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        lock = _MIGRATION_LOCKS.get(engine.dialect.name)
        if lock is not None:
            connection.exec_driver_sql(lock)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


# (column, dialect name, "bind" | "result") -> its processor: made once, used on every push.
_PROCESSORS: dict[tuple[Column[Any], str, str], Callable[[Any], Any]] = {}


def bind_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of `column` before the driver gets it."""
    made = _PROCESSORS.get((column, dialect.name, "bind"))
    if made is None:
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        made = _PROCESSORS[column, dialect.name, "bind"] = process or _as_is
    return made


def result_processor(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """What SQLAlchemy does to a value of `column` the driver returns."""
    made = _PROCESSORS.get((column, dialect.name, "result"))
    if made is None:
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        made = _PROCESSORS[column, dialect.name, "result"] = process or _as_is
    return made


def _as_is(value: Any) -> Any:
    return value


class DriverStatement:
    """A Core statement compiled once per dialect and run on the driver's own cursor, in the
    session's transaction: for the sync push, where SQLAlchemy's work per execution cost
    several times the database's. Values go to the driver as given (pass them through
    `bind_processor` where a column needs it) and rows come back as plain tuples (through
    `result_processor`)."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        # dialect name -> (SQL, parameter names in order for a positional driver, else None)
        self._compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}

    def execute(self, db: Session, params: Mapping[str, Any]) -> Any:
        """The driver's cursor after executing: close it once read."""
        connection = db.connection()
        sql, order = self._compiled.get(connection.dialect.name) or self._compile(
            connection.dialect
        )
        cursor = connection.connection.cursor()
        cursor.execute(sql, params if order is None else tuple(params[n] for n in order))
        return cursor

    def first(self, db: Session, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        cursor = self.execute(db, params)
        try:
            row: tuple[Any, ...] | None = cursor.fetchone()
            return row
        finally:
            cursor.close()

    def all(self, db: Session, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        cursor = self.execute(db, params)
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def run(self, db: Session, params: Mapping[str, Any]) -> int:
        """Execute a change; the rows it touched."""
        cursor = self.execute(db, params)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        made = (str(compiled), tuple(compiled.positiontup or ()) if dialect.positional else None)
        self._compiled[dialect.name] = made
        return made
