"""`crm rebuild` of a large calls store: time against its target and against a raw SELECT of the same rows.

1. Ingests `--seed-calls` realistic PBX calls through `CallCentre.ingest_batch` (about 5-6 events each), the events
   a real day leaves in the calls store;
2. copies those stored rows, under fresh aggregate ids (one per original call, versions, topics and state bytes
   unchanged), with raw bulk inserts until the store holds `--events` events (default 1,000,000): creating a
   million events through the application would take longer than the measurement on a loaded two-core machine,
   and the rebuild reads the rows the same way whoever wrote them;
3. BASELINE, in the same run: a raw `SELECT` of every row of the store in notification order, fetched to the client
   in batches (what the rebuild cannot do faster than);
4. runs `crm rebuild` (services/rebuild.py `rebuild_all`: the calls search index, the reporting read models and
   every other read model the registry lists) in a subprocess, timed.

Printed: rows/s of each, seconds of the rebuild (target <= 100 s for 1,000,000 events), the CPU seconds of the
rebuild's processes (its workers included; µs CPU per event, which a loaded machine moves far less than the wall
time) and the ratio of the rebuild's rate to the SELECT's (target >= 0.25). `--store sqlite|postgres|both`.

    .venv/bin/python bench/rebuild.py [--events 1000000] [--store both] [--seed-calls 2000] [--profile DIR]

`--profile DIR` records the rebuild with py-spy (DIR/rebuild-<store>.txt, collapsed stacks) and prints where its
time went.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path

from services.calls.application import CallCentre  # noqa: E402
from services.calls.telephony import CallEventIn  # noqa: E402
from shared.eventstore import store_env  # noqa: E402
from shared.organisation import Organisation  # noqa: E402
from shared.settings import Settings  # noqa: E402

PY = sys.executable


def seed_rows(settings: Settings, calls: int) -> list[tuple]:
    """Ingest `calls` realistic calls; the rows they left in the store: (originator_id, version, topic, state)."""
    centre = CallCentre(
        store_env(settings, "calls"),
        organisation=Organisation.load(settings.organisation_file),
        calendar=settings.business_calendar,
    )
    try:
        rng = random.Random(11)
        start = C.now_utc() - timedelta(days=2)
        events = []
        for i in range(calls):
            for payload in C.realistic_call(rng, f"rebuild-{i}", start + timedelta(seconds=20 * i)):
                events.append(CallEventIn.model_validate(payload).to_event())
        for i in range(0, len(events), 500):
            centre.ingest_batch(events[i : i + 500])
        rows, position = [], 0
        while True:
            batch = centre.recorder.select_notifications(position, 5000, inclusive_of_start=False)
            if not batch:
                return rows
            rows.extend((n.originator_id, n.originator_version, n.topic, n.state) for n in batch)
            position = batch[-1].id
    finally:
        centre.close()


def copies(rows: list[tuple], needed: int):
    """The seed rows again and again under fresh aggregate ids, `needed` rows in all, in chunks."""
    made = 0
    while made < needed:
        ids: dict = {}
        chunk = []
        for oid, version, topic, state in rows:
            if made + len(chunk) >= needed:
                break
            chunk.append((ids.setdefault(oid, uuid.uuid4()), version, topic, state))
        made += len(chunk)
        yield chunk


# --- SQLite ---------------------------------------------------------------------------------------------------


def sqlite_fill(db: Path, rows: list[tuple], needed: int) -> None:
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("BEGIN")
        for chunk in copies(rows, needed):
            con.executemany(
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)",
                [(o.hex, v, t, s) for o, v, t, s in chunk],
            )
        con.execute("COMMIT")
    finally:
        con.close()


def sqlite_select(db: Path) -> tuple[int, float]:
    con = sqlite3.connect(db)
    try:
        started = time.perf_counter()
        cur = con.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        )
        n = 0
        while batch := cur.fetchmany(5000):
            n += len(batch)
        return n, time.perf_counter() - started
    finally:
        con.close()


# --- PostgreSQL -----------------------------------------------------------------------------------------------


def pg_connect():
    import psycopg

    return psycopg.connect(**{k.removeprefix("postgres_"): v for k, v in C.PG.items()})


def pg_table(schema: str) -> str:
    """The calls store's events table (eventsourcing names it after the application)."""
    with pg_connect() as con:
        row = con.execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = %s AND column_name = "
            "'notification_id' ORDER BY table_name LIMIT 1",
            (schema,),
        ).fetchone()
    if row is None:
        raise SystemExit(f"no events table in schema {schema}")
    return f'"{schema}"."{row[0]}"'


def pg_fill(schema: str, rows: list[tuple], needed: int) -> None:
    with pg_connect() as con, con.cursor() as cur:
        table = pg_table(schema)
        with cur.copy(f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN") as copy:
            for chunk in copies(rows, needed):
                for row in chunk:
                    copy.write_row(row)
        con.commit()
        cur.execute(f"ANALYZE {table}")
        con.commit()


def pg_select(schema: str) -> tuple[int, float]:
    with pg_connect() as con:
        started = time.perf_counter()
        n = 0
        with con.cursor(name="bench_select") as cur:
            cur.itersize = 5000
            cur.execute(
                f"SELECT notification_id, originator_id, originator_version, topic, state FROM {pg_table(schema)} "
                "ORDER BY notification_id"
            )
            while batch := cur.fetchmany(5000):
                n += len(batch)
        return n, time.perf_counter() - started


def drop_schemas(prefix: str) -> None:
    with pg_connect() as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (prefix,)
            ).fetchall()
        ]
        for name in names:
            con.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        con.commit()


# ---------------------------------------------------------------------------------------------------------------


def crm_env(settings: Settings) -> dict[str, str]:
    env = {**C.clean_crm_env(), "CRM_DATA_DIR": str(settings.data_dir)}
    if settings.store == "postgres":
        env.update(
            {
                "CRM_STORE": "postgres",
                "CRM_POSTGRES_HOST": settings.postgres_host,
                "CRM_POSTGRES_PORT": str(settings.postgres_port),
                "CRM_POSTGRES_USER": settings.postgres_user,
                "CRM_POSTGRES_DBNAME": settings.postgres_dbname,
                "CRM_POSTGRES_SCHEMA_PREFIX": settings.postgres_schema_prefix,
            }
        )
    return env


def run(store: str, events: int, seed_calls: int, tmp: Path, profile: Path | None = None) -> dict:
    prefix = f"rb{uuid.uuid4().hex[:8]}_"
    if store == "postgres":
        settings = Settings(data_dir=tmp / store, store="postgres", postgres_schema_prefix=prefix, **C.PG)
    else:
        settings = Settings(data_dir=tmp / store)
    try:
        started = time.perf_counter()
        rows = seed_rows(settings, seed_calls)
        needed = events - len(rows)
        if store == "postgres":
            pg_fill(f"{prefix}calls", rows, needed)
        else:
            sqlite_fill(settings.data_dir / "calls.events.db", rows, needed)
        print(
            f"  {store}: {len(rows)} events ingested from {seed_calls} calls, copied to {events:,} events in "
            f"{time.perf_counter() - started:.0f}s"
        )
        n, select_s = (
            pg_select(f"{prefix}calls") if store == "postgres" else sqlite_select(settings.data_dir / "calls.events.db")
        )
        print(f"  {store}: raw SELECT of {n:,} rows in {select_s:.1f}s ({n / select_s:,.0f} rows/s)")
        command = [PY, "-m", "services.cli", "rebuild"]
        raw = profile / f"rebuild-{store}.txt" if profile else None
        if raw is not None:
            command = C.py_spy_record(raw) + command
        cpu_before = _children_cpu()
        started = time.perf_counter()
        done = subprocess.run(
            command,
            env=crm_env(settings),
            cwd=C.ROOT,
            capture_output=True,
            text=True,
            timeout=3600,
        )
        rebuild_s = time.perf_counter() - started
        cpu_s = _children_cpu() - cpu_before
        if done.returncode != 0:
            raise SystemExit(f"crm rebuild failed: {done.stderr[-2000:]}")
        print("    " + done.stdout.strip().replace("\n", "\n    "))
        print(
            f"  {store}: crm rebuild of {n:,} events in {rebuild_s:.1f}s ({n / rebuild_s:,.0f} events/s), "
            f"{cpu_s:.1f} CPU s in all its processes ({cpu_s / n * 1e6:.0f} µs CPU per event); load {_load()}"
        )
        if raw is not None:
            print(f"  {store}: py-spy profile of the rebuild ({raw}; sampling slows it a little):")
            print(C.profile_summary(raw, top=25))
        return {"store": store, "n": n, "select_s": select_s, "rebuild_s": rebuild_s, "cpu_s": cpu_s}
    finally:
        if store == "postgres":
            drop_schemas(prefix)


def _children_cpu() -> float:
    """User and system CPU seconds of the waited-for child processes so far (the rebuild and its workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--seed-calls", type=int, default=2000, help="calls ingested through the application")
    parser.add_argument("--profile", type=Path, help="record `crm rebuild` with py-spy into this folder and summarise")
    args = parser.parse_args()
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    out = []
    with tempfile.TemporaryDirectory(prefix="crm-bench-rebuild-") as tmp:
        for store in stores:
            out.append(run(store, args.events, args.seed_calls, Path(tmp), args.profile))
    print()
    print(
        f"{'store':<10}{'events':>11}{'SELECT rows/s':>15}{'rebuild ev/s':>14}{'rebuild s':>11}{'CPU s':>8}{'ratio':>8}"
    )
    for r in out:
        sel, reb = r["n"] / r["select_s"], r["n"] / r["rebuild_s"]
        print(
            f"{r['store']:<10}{r['n']:>11,}{sel:>15,.0f}{reb:>14,.0f}{r['rebuild_s']:>11.1f}{r['cpu_s']:>8.1f}"
            f"{reb / sel:>8.2f}"
        )
    for r in out:
        s, n = r["store"], r["n"]
        target_s = 100.0 * n / 1_000_000
        ratio = r["select_s"] / r["rebuild_s"]
        print(
            C.result_line(
                f"rebuild {s} {n:,} events seconds", r["rebuild_s"], "s", f"<= {target_s:g}", r["rebuild_s"] <= target_s
            )
        )
        print(C.result_line(f"rebuild {s} ratio rebuild/SELECT", ratio, "x", ">= 0.25", ratio >= 0.25))
    os.environ.pop("CRM_DATA_DIR", None)


if __name__ == "__main__":
    main()
