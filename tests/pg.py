"""A throwaway PostgreSQL database (127.0.0.1:5432, trust auth) for the production-configuration tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from rasa_project import db
from tests.requirements import need

PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@contextmanager
def throwaway_database(prefix: str, target: str = "heads") -> Iterator[str]:
    """Create ``<prefix>_<random>``, migrate it to ``target``, yield its URL, drop it afterwards."""
    need("postgres")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = db.make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    try:
        db.migrate(url, target)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
