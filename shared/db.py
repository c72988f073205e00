"""SQLAlchemy engines for read models, lookups and the token store (SQLite embedded, PostgreSQL deployed)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def create_engine(url: str) -> sa.Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if not parsed.database or parsed.database == ":memory:":
            # One connection shared by every thread: each new connection to ":memory:" would be a new, empty database.
            return sa.create_engine(url, connect_args={"check_same_thread": False}, poolclass=sa.pool.StaticPool)
        # Connections kept for as many threads as a service's request pool runs at once (40): past the default 5,
        # each concurrent request opened a connection (with its pragmas) and closed it again, at every request.
        engine = sa.create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=20, max_overflow=30
        )

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:  # WAL lets readers go on while a projection writes
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql":
        schema = _search_path_schema(url)
        # Few idle connections per engine: a dozen CRM processes share the server's max_connections.
        engine = sa.create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=8)
        if schema:
            with engine.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        return engine
    return sa.create_engine(url)


def create_tables(metadata: sa.MetaData, engine: sa.Engine, attempts: int = 5) -> None:
    """`metadata.create_all`, safe when several processes start on one database at once (a service and its
    processor, two replicas): the one that loses the race to create a table sees "already exists" and looks again,
    and the next look finds the table there."""
    for attempt in range(attempts):
        try:
            metadata.create_all(engine)
            return
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if attempt == attempts - 1:
                raise


def utc(value: Any) -> Any:
    """Datetimes are stored in UTC; SQLite gives them back without their zone. Anything else passes unchanged."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value


def utc_row(row: Any) -> dict[str, Any]:
    return {k: utc(v) for k, v in dict(row).items()}


def _search_path_schema(url: str) -> str | None:
    options = make_url(url).query.get("options")
    if isinstance(options, tuple):
        options = options[0]
    if options and "search_path=" in options:
        return options.split("search_path=", 1)[1].split()[0].split(",")[0]
    return None
