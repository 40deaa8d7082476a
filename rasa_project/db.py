"""SQL storage shared by the audit trail and the workflow (SQLAlchemy 1.4, future=True).

SQLite by default (var/dingk3.db), PostgreSQL in production (``DINGK3_DATABASE_URL``).
``move_row`` is the one conditional transition every stateful row (draft, change request, output
report, notification) takes. Schema changes are Alembic migrations in rasa_project/migrations
(branches ``audit``, ``workflow`` and ``oa``, all on the ``0001_base`` root); ``migrate()`` upgrades
to all heads. No engine is created at import time.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, create_engine, event, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, declarative_base, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)
Base = declarative_base(metadata=metadata)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL: readers never block the writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")  # durable before we reply
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def migrate(url: str, target: str = "heads") -> None:
    """Bring the schema at ``url`` to ``target`` (every head by default; idempotent). A test of one
    domain may ask for its own branch only, e.g. ``"audit@head"``."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    with _migration_lock(url):  # processes starting together must not create the same tables at once
        engine = make_engine(url)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
        engine.dispose()


@contextmanager
def _migration_lock(url: str):
    """An exclusive file lock beside a SQLite database while it is migrated (pysqlite runs DDL outside
    a transaction, so two processes migrating one new file race on CREATE TABLE). Other databases:
    none here (their DDL is transactional; production migrates once, `dingk3 migrate`)."""
    prefix = "sqlite:///"
    path = url[len(prefix):] if url.startswith(prefix) else ""
    if not path or path == ":memory:":
        yield
        return
    lock_path = Path(path + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@lru_cache(maxsize=8)
def _engine_for(url: str) -> Engine:
    migrate(url)
    return make_engine(url)


def get_engine(url: str | None = None) -> Engine:
    """The migrated engine for ``url`` (default: settings), one per process."""
    if url is None:
        from rasa_project.settings import get_settings

        url = get_settings().sqlalchemy_url
    return _engine_for(url)


def get_sessionmaker(url: str | None = None) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), future=True, expire_on_commit=False)


def move_row(
    session: Session | Connection,
    model: Any,
    row_id: int,
    values: Mapping[str, Any],
    *,
    state: str | Iterable[str] | None,
    version: int | None = None,
    also: Iterable[Any] = (),
) -> bool:
    """``UPDATE model SET values WHERE id = row_id AND state = state [AND version = version] [AND also]``;
    True if this caller moved the row, False if it was no longer where the caller saw it.

    The conditional UPDATE is the lock: SQLite serialises writers, and PostgreSQL re-evaluates the
    WHERE clause once a concurrent update commits, so of two callers that read the same row exactly
    one sees rowcount 1; the other answers from the row's new state. ``state`` may be several
    states (any of them) or None (``also`` says which rows qualify). ``model`` is an ORM class or a
    Core ``Table`` with ``id`` / ``state`` (/ ``version``) columns."""
    columns = getattr(model, "c", model)  # an ORM class, or a Core ``Table`` (its ``.c``)
    where = [columns.id == row_id, *also]
    if isinstance(state, str):
        where.append(columns.state == state)
    elif state is not None:
        where.append(columns.state.in_(list(state)))
    if version is not None:
        where.append(columns.version == version)
    result = session.execute(
        update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
