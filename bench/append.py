"""Appending call events: the calls service's CallCentre on SQLite and on PostgreSQL, against raw inserts.

For each store it
1. ingests realistic PBX call sequences through `CallCentre.ingest` (load the call, apply the event, save it),
   where every save appends exactly one domain event in one transaction, and prints events/s (the figure the
   target is about); and, for comparison, appends without loading anything: a new call aggregate per save
   (`Call(...)` + `save`, one `Received` event of the same kind of content), which is what the event store's
   append itself costs;
2. measures a BASELINE in the same run, in the same database: raw inserts of the very rows the event store
   stored (same originator-id/version/topic/state sizes, same table shape), one transaction per row, with the
   same durability settings as eventsourcing's recorder (SQLite: WAL, `synchronous` left at its default; a
   separate file of the same kind in the same directory. PostgreSQL: the same database, a table of the same
   definition in the run's own schema, the server's default `synchronous_commit`);
3. prints the ratio events/s / raw-inserts/s. Target: >= 0.5 for both stores.

    .venv/bin/python bench/append.py [--calls 600] [--store sqlite|postgres|both] [--rounds 1] [--env KEY=VALUE]

`--env` adds to the eventsourcing environment of the application (e.g. AGGREGATE_CACHE_MAXSIZE=10000), to try a
setting before changing code.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
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


def telephony_events(calls: int, seed: int) -> list:
    rng = random.Random(seed)
    start = C.now_utc() - timedelta(days=1)
    out = []
    for i in range(calls):
        call_id = f"bench-{seed}-{i}"
        for payload in C.realistic_call(rng, call_id, start + timedelta(seconds=30 * i)):
            out.append(CallEventIn.model_validate(payload).to_event())
    return out


EXTRA_ENV: dict[str, str] = {}


def make_centre(env: dict[str, str]) -> CallCentre:
    settings = Settings()
    return CallCentre(
        {**env, **EXTRA_ENV},
        organisation=Organisation.load(settings.organisation_file),
        calendar=settings.business_calendar,
    )


def run_append_only(env: dict[str, str], n: int, seed: int) -> float:
    """events/s appending one new call (one `Received` event) per save, with nothing to load first."""
    from services.calls.application import normalise_number
    from services.calls.domain import Call, Direction

    rng = random.Random(seed)
    at = C.now_utc() - timedelta(days=1)
    callers = [C.mobile(rng) for _ in range(n)]
    numbers = [normalise_number(c, "IR") for c in callers]
    centre = make_centre(env)
    try:
        started = time.perf_counter()
        for i in range(n):
            call = Call(
                direction=Direction.INCOMING,
                at=at,
                caller_raw=callers[i],
                caller=numbers[i],
                callee="03136645000",
                member_id=None,
                purpose=None,
                placed_by=None,
                pbx_call_id=f"append-only-{seed}-{i}",
                pbx_event_id=f"append-only-{seed}-{i}-ring",
                line=None,
                source_ref=None,
            )
            centre.save(call)
        return n / (time.perf_counter() - started)
    finally:
        centre.close()


def run_event_store(env: dict[str, str], events: list) -> tuple[int, float, list[tuple]]:
    """(events appended, seconds, the stored rows) after ingesting every event through the application."""
    centre = make_centre(env)
    try:
        recorder = centre.recorder
        before = recorder.max_notification_id() or 0
        started = time.perf_counter()
        statuses: dict[str, int] = {}
        for ev in events:
            r = centre.ingest(ev)
            statuses[r.status] = statuses.get(r.status, 0) + 1
        elapsed = time.perf_counter() - started
        after = recorder.max_notification_id() or 0
        if statuses.get("applied", 0) != len(events):
            raise SystemExit(f"not every event was applied: {statuses}")
        rows = []
        position = before
        while position < after:
            batch = recorder.select_notifications(position, 1000, inclusive_of_start=False)
            if not batch:
                break
            rows.extend((n.originator_id, n.originator_version, n.topic, n.state) for n in batch)
            position = batch[-1].id
        return after - before, elapsed, rows
    finally:
        centre.close()


def row_sizes(rows: list[tuple]) -> tuple[float, float]:
    """(average state bytes, average whole-row bytes: id as stored + version + topic + state)."""
    state = statistics.fmean(len(r[3]) for r in rows)
    whole = statistics.fmean(32 + 8 + len(r[2]) + len(r[3]) for r in rows)
    return state, whole


def renamed(rows: list[tuple]) -> list[tuple]:
    """The same rows under fresh originator ids (one per original aggregate), so nothing collides."""
    ids: dict = {}
    return [(ids.setdefault(r[0], uuid.uuid4()), r[1], r[2], r[3]) for r in rows]


# --- SQLite ---------------------------------------------------------------------------------------------------


def sqlite_raw(directory: Path, rows: list[tuple]) -> float:
    """Raw inserts/s into a fresh SQLite file in the same directory: WAL, default synchronous, BEGIN/COMMIT per row."""
    path = directory / f"raw-{uuid.uuid4().hex[:8]}.db"
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        # The same table as eventsourcing's SQLiteApplicationRecorder.
        con.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        params = [(oid.hex, v, t, s) for oid, v, t, s in renamed(rows)]
        cur = con.cursor()
        started = time.perf_counter()
        for p in params:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO raw_events VALUES (?,?,?,?)", p)
            con.commit()
        elapsed = time.perf_counter() - started
        return len(params) / elapsed
    finally:
        con.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def sqlite_settings_report(db: Path) -> str:
    con = sqlite3.connect(db)
    try:
        mode = con.execute("PRAGMA journal_mode").fetchone()[0]
        sync = con.execute("PRAGMA synchronous").fetchone()[0]
    finally:
        con.close()
    return f"journal_mode={mode} synchronous={sync} (0=OFF 1=NORMAL 2=FULL)"


def bench_sqlite(events: list, rounds: int) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="crm-bench-append-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        for r in range(rounds):
            env = store_env(settings, "calls")
            env["SQLITE_DBNAME"] = str(Path(tmp) / f"calls-{r}.events.db")
            n, secs, rows = run_event_store(env, events)
            raw = sqlite_raw(Path(tmp), rows)
            env["SQLITE_DBNAME"] = str(Path(tmp) / f"calls-append-only-{r}.events.db")
            only = run_append_only(env, len(events), r)
            results.append((n / secs, raw, n, rows, only))
            if r == 0:
                print(f"  sqlite event store: {sqlite_settings_report(Path(str(Path(tmp) / 'calls-0.events.db')))}")
    return summarise("sqlite", results)


# --- PostgreSQL -----------------------------------------------------------------------------------------------


def pg_connect():
    import psycopg

    return psycopg.connect(
        host=C.PG["postgres_host"],
        port=C.PG["postgres_port"],
        user=C.PG["postgres_user"],
        dbname=C.PG["postgres_dbname"],
    )


def pg_raw(schema: str, rows: list[tuple]) -> float:
    """Raw inserts/s into a table of the event store's definition in the same schema: one transaction per row."""
    with pg_connect() as con:
        con.execute(
            f'CREATE TABLE "{schema}".raw_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, '
            "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        con.execute(f'CREATE UNIQUE INDEX ON "{schema}".raw_events (notification_id ASC)')
        con.commit()
        params = renamed(rows)
        sql = (
            f'INSERT INTO "{schema}".raw_events (originator_id, originator_version, topic, state) VALUES (%s,%s,%s,%s)'
        )
        started = time.perf_counter()
        with con.cursor() as cur:
            for p in params:
                cur.execute(sql, p, prepare=True)
                con.commit()
        elapsed = time.perf_counter() - started
        return len(params) / elapsed


def bench_postgres(events: list, rounds: int) -> dict | None:
    try:
        with pg_connect() as con:
            sync = con.execute("SHOW synchronous_commit").fetchone()[0]
            fsync = con.execute("SHOW fsync").fetchone()[0]
    except Exception as exc:  # noqa: BLE001
        print(f"  postgres unavailable ({exc}); skipped")
        return None
    print(f"  postgres: synchronous_commit={sync} fsync={fsync} (server defaults, used by both sides)")
    results = []
    settings = Settings(store="postgres", **C.PG)
    for _ in range(rounds):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        with pg_connect() as con:
            con.execute(f'CREATE SCHEMA "{schema}"')
            con.commit()
        try:
            env = {**store_env(settings, "calls"), "POSTGRES_SCHEMA": schema}
            n, secs, rows = run_event_store(env, events)
            raw = pg_raw(schema, rows)
            only_schema = f"{schema}_only"
            with pg_connect() as con:
                con.execute(f'CREATE SCHEMA "{only_schema}"')
                con.commit()
            try:
                only = run_append_only({**env, "POSTGRES_SCHEMA": only_schema}, len(events), 0)
            finally:
                with pg_connect() as con:
                    con.execute(f'DROP SCHEMA IF EXISTS "{only_schema}" CASCADE')
                    con.commit()
            results.append((n / secs, raw, n, rows, only))
        finally:
            with pg_connect() as con:
                con.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
                con.commit()
    return summarise("postgres", results)


def summarise(store: str, results: list) -> dict:
    es = statistics.median(r[0] for r in results)
    raw = statistics.median(r[1] for r in results)
    only = statistics.median(r[4] for r in results)
    rows = results[0][3]
    state, whole = row_sizes(rows)
    for i, (e, b, n, _, o) in enumerate(results):
        print(
            f"  {store} round {i + 1}: {n} events ingested at {e:,.0f} events/s; raw inserts {b:,.0f} rows/s; ratio {e / b:.2f}; "
            f"append-only {o:,.0f} events/s (ratio {o / b:.2f})"
        )
    return {
        "store": store,
        "events_per_s": es,
        "raw_per_s": raw,
        "ratio": es / raw,
        "state_bytes": state,
        "row_bytes": whole,
        "only_per_s": only,
        "only_ratio": only / raw,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=600, help="PBX calls to ingest per round (~5 events each)")
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the pair of measurements; medians are reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra eventsourcing environment"
    )
    args = parser.parse_args()
    EXTRA_ENV.update(dict(e.split("=", 1) for e in args.env))
    if EXTRA_ENV:
        print(f"append: extra environment {EXTRA_ENV}")
    events = telephony_events(args.calls, args.seed)
    print(f"append: {args.calls} calls, {len(events)} telephony events (one domain event per save)")
    out = []
    if args.store in ("sqlite", "both"):
        out.append(bench_sqlite(events, args.rounds))
    if args.store in ("postgres", "both"):
        pg = bench_postgres(events, args.rounds)
        if pg:
            out.append(pg)
    print()
    print(
        f"{'store':<10}{'ingest ev/s':>12}{'raw rows/s':>12}{'ratio':>8}{'append-only/s':>15}{'ratio':>8}{'state B':>9}{'row B':>8}"
    )
    for r in out:
        print(
            f"{r['store']:<10}{r['events_per_s']:>12,.0f}{r['raw_per_s']:>12,.0f}{r['ratio']:>8.2f}{r['only_per_s']:>15,.0f}"
            f"{r['only_ratio']:>8.2f}{r['state_bytes']:>9.0f}{r['row_bytes']:>8.0f}"
        )
    for r in out:
        print(C.result_line(f"append {r['store']} ingest events/s", r["events_per_s"], "events/s", "-", None))
        print(C.result_line(f"append {r['store']} raw inserts/s", r["raw_per_s"], "rows/s", "-", None))
        print(C.result_line(f"append {r['store']} ratio ingest/raw", r["ratio"], "x", ">= 0.5", r["ratio"] >= 0.5))
        print(C.result_line(f"append {r['store']} ratio append-only/raw", r["only_ratio"], "x", "(>= 0.5)", None))


if __name__ == "__main__":
    main()
