"""Appending call events: the calls service's CallCentre on SQLite and on PostgreSQL, against raw inserts.

For each store, three ways of storing the same realistic PBX calls, each in a fresh store:
* one by one: `CallCentre.ingest` per PBX event (load the call, apply the event, save it in its own transaction);
  every save appends exactly one domain event;
* batched: `CallCentre.ingest_batch`, `--batch` (100) events per transaction, as the webhook stores a POST of
  several events and `crm calls import-queue-log` stores its chunks of lines;
* append-only: a new call aggregate per save (`Call(...)` + `save`, one `Received` event), nothing loaded: what the
  event store's append itself costs.

BASELINE, in the same run, in the same database, INTERLEAVED with each way: after every few dozen events the very
rows just stored (same versions, topics and state bytes, under fresh aggregate ids) are inserted into a table of the
same definition, one transaction per row, with the recorder's durability settings (SQLite: a separate WAL file in
the same directory, `synchronous` left at its default; PostgreSQL: the run's own schema, the server's default
`synchronous_commit`). The two sides take turns, so that both see the same disk and the same neighbours: on a
shared machine the raw insert rate moved tenfold within minutes. Printed per way: events/s, raw rows/s and
ratio = events/s / raw rows/s. Target: >= 0.5 for both stores.

    .venv/bin/python bench/append.py [--calls 600] [--store sqlite|postgres|both] [--rounds 1] [--batch 100]
                                     [--env KEY=VALUE]

`--env` adds to the eventsourcing environment of the application (e.g. AGGREGATE_CACHE_MAXSIZE=0), to try a
setting without changing code.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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


# --- the baselines: raw inserts of the same rows, one transaction per row, interleaved with the measured work -----


class RawSQLite:
    """A fresh SQLite file in the same directory: WAL, default synchronous, BEGIN/INSERT/COMMIT per row."""

    def __init__(self, directory: Path):
        self.path = directory / f"raw-{uuid.uuid4().hex[:8]}.db"
        self.con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=WAL")
        # The same table as eventsourcing's SQLiteApplicationRecorder.
        self.con.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )

    def insert(self, rows: list[tuple]) -> float:
        params = [(oid.hex, v, t, s) for oid, v, t, s in rows]
        cur = self.con.cursor()
        started = time.perf_counter()
        for p in params:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO raw_events VALUES (?,?,?,?)", p)
            self.con.commit()
        return time.perf_counter() - started

    def close(self) -> None:
        self.con.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class RawPostgres:
    """A table of the event store's definition (with its notification_id bigserial and unique index) in the run's
    own schema: a prepared INSERT and a commit per row, the server's default synchronous_commit."""

    def __init__(self, schema: str):
        self.table = f'"{schema}".raw_{uuid.uuid4().hex[:8]}'
        self.con = pg_connect()
        self.con.execute(
            f"CREATE TABLE {self.table} (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        self.con.execute(f"CREATE UNIQUE INDEX ON {self.table} (notification_id ASC)")
        self.con.commit()

    def insert(self, rows: list[tuple]) -> float:
        sql = f"INSERT INTO {self.table} (originator_id, originator_version, topic, state) VALUES (%s,%s,%s,%s)"
        started = time.perf_counter()
        with self.con.cursor() as cur:
            for p in rows:
                cur.execute(sql, p, prepare=True)
                self.con.commit()
        return time.perf_counter() - started

    def close(self) -> None:
        self.con.close()


@dataclass
class Measured:
    events: int = 0
    seconds: float = 0.0
    raw_seconds: float = 0.0
    rows: list[tuple] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.events / self.seconds

    @property
    def raw_per_s(self) -> float:
        return len(self.rows) / self.raw_seconds

    @property
    def ratio(self) -> float:
        return self.per_s / self.raw_per_s


def interleaved(centre: CallCentre, steps: list[Callable[[], None]], raw) -> Measured:
    """Run each step (timed), then insert the rows it stored into the raw table (timed): the two sides take turns
    every few dozen events, so that both see the same disk and the same neighbours on a shared machine."""
    out = Measured()
    ids: dict = {}
    position = centre.recorder.max_notification_id() or 0
    for step in steps:
        started = time.perf_counter()
        step()
        out.seconds += time.perf_counter() - started
        new = []
        while True:
            batch = centre.recorder.select_notifications(position, 1000, inclusive_of_start=False)
            if not batch:
                break
            new.extend((n.originator_id, n.originator_version, n.topic, n.state) for n in batch)
            position = batch[-1].id
        out.events += len(new)
        out.rows.extend(new)
        # The same rows under fresh originator ids (one per original aggregate), so nothing collides.
        out.raw_seconds += raw.insert([(ids.setdefault(r[0], uuid.uuid4()), r[1], r[2], r[3]) for r in new])
    return out


def chunks(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def ingest_one_by_one(env: dict[str, str], events: list, raw) -> Measured:
    """`CallCentre.ingest` per PBX event: load the call, apply the event, save it in its own transaction."""
    centre = make_centre(env)
    try:

        def step(part: list) -> Callable[[], None]:
            def run() -> None:
                for ev in part:
                    if centre.ingest(ev).status != "applied":
                        raise SystemExit(f"not applied: {ev}")

            return run

        return interleaved(centre, [step(p) for p in chunks(events, 50)], raw)
    finally:
        centre.close()


def ingest_batched(env: dict[str, str], events: list, raw) -> Measured:
    """`CallCentre.ingest_batch`, SIZES["batch"] events per transaction, as the webhook stores a POST of several
    events and the queue_log import stores its chunks of lines."""
    centre = make_centre(env)
    try:

        def step(part: list) -> Callable[[], None]:
            def run() -> None:
                if any(r.status != "applied" for r in centre.ingest_batch(part)):
                    raise SystemExit("not every event of a batch was applied")

            return run

        return interleaved(centre, [step(p) for p in chunks(events, SIZES["batch"])], raw)
    finally:
        centre.close()


def append_only(env: dict[str, str], n: int, seed: int, raw) -> Measured:
    """A new call per save (`Call(...)` + `save`, one `Received` event), with nothing to load first: what the event
    store's append itself costs."""
    from services.calls.application import normalise_number

    rng = random.Random(seed)
    at = C.now_utc() - timedelta(days=1)
    callers = [C.mobile(rng) for _ in range(n)]
    numbers = [normalise_number(c, "IR") for c in callers]
    centre = make_centre(env)

    def step(part: range) -> Callable[[], None]:
        def run() -> None:
            for i in part:
                centre.save(C.incoming_call(at, callers[i], f"append-only-{seed}-{i}", caller=numbers[i]))

        return run

    try:
        return interleaved(centre, [step(range(i, min(n, i + 50))) for i in range(0, n, 50)], raw)
    finally:
        centre.close()


SIZES = {"batch": 100}  # PBX events per transaction for the batched figure (--batch)
WAYS = ("one by one", "batched", "append-only")


def measure_all(events: list, seed: int, env_for: Callable[[str], dict[str, str]], raw_for) -> dict[str, Measured]:
    out = {}
    for way in WAYS:
        raw = raw_for()
        try:
            env = env_for(way)
            if way == "one by one":
                out[way] = ingest_one_by_one(env, events, raw)
            elif way == "batched":
                out[way] = ingest_batched(env, events, raw)
            else:
                out[way] = append_only(env, len(events), seed, raw)
        finally:
            raw.close()
    return out


def row_sizes(rows: list[tuple]) -> tuple[float, float]:
    """(average state bytes, average whole-row bytes: id as stored + version + topic + state)."""
    state = statistics.fmean(len(r[3]) for r in rows)
    whole = statistics.fmean(32 + 8 + len(r[2]) + len(r[3]) for r in rows)
    return state, whole


# --- SQLite ---------------------------------------------------------------------------------------------------


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

            def env_for(way: str, r: int = r) -> dict[str, str]:
                env = store_env(settings, "calls")
                env["SQLITE_DBNAME"] = str(Path(tmp) / f"calls-{way.replace(' ', '-')}-{r}.events.db")
                return env

            results.append(measure_all(events, r, env_for, lambda: RawSQLite(Path(tmp))))
            if r == 0:
                print(f"  sqlite event store: {sqlite_settings_report(Path(tmp) / 'calls-one-by-one-0.events.db')}")
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
    for r in range(rounds):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        schemas = [schema] + [f"{schema}_{i}" for i in range(len(WAYS))]
        with pg_connect() as con:
            for s in schemas:
                con.execute(f'CREATE SCHEMA "{s}"')
            con.commit()
        try:

            def env_for(way: str, schema: str = schema) -> dict[str, str]:
                return {**store_env(settings, "calls"), "POSTGRES_SCHEMA": f"{schema}_{WAYS.index(way)}"}

            results.append(measure_all(events, r, env_for, lambda schema=schema: RawPostgres(schema)))
        finally:
            with pg_connect() as con:
                for s in schemas:
                    con.execute(f'DROP SCHEMA IF EXISTS "{s}" CASCADE')
                con.commit()
    return summarise("postgres", results)


def summarise(store: str, results: list[dict[str, Measured]]) -> dict:
    for i, result in enumerate(results):
        parts = [
            f"{way} {m.per_s:,.0f} events/s vs raw {m.raw_per_s:,.0f} rows/s (ratio {m.ratio:.2f})"
            for way, m in result.items()
        ]
        print(f"  {store} round {i + 1}: " + "; ".join(parts))
    state, whole = row_sizes(results[0]["one by one"].rows)
    out: dict = {"store": store, "state_bytes": state, "row_bytes": whole}
    for way in WAYS:
        out[way] = {
            "per_s": statistics.median(r[way].per_s for r in results),
            "raw_per_s": statistics.median(r[way].raw_per_s for r in results),
            "ratio": statistics.median(r[way].ratio for r in results),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=600, help="PBX calls to ingest per round (~5 events each)")
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the measurements; medians are reported")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=100, help="PBX events per transaction for the batched figure")
    parser.add_argument(
        "--env", action="append", default=[], metavar="KEY=VALUE", help="extra eventsourcing environment"
    )
    args = parser.parse_args()
    EXTRA_ENV.update(dict(e.split("=", 1) for e in args.env))
    SIZES["batch"] = args.batch
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
    print(f"{'store':<10}{'way':<13}{'events/s':>10}{'raw rows/s':>12}{'ratio':>8}")
    for r in out:
        for way in WAYS:
            m = r[way]
            print(f"{r['store']:<10}{way:<13}{m['per_s']:>10,.0f}{m['raw_per_s']:>12,.0f}{m['ratio']:>8.2f}")
    for r in out:
        print(f"{r['store']}: {r['state_bytes']:.0f} bytes of state, {r['row_bytes']:.0f} bytes a row on average")
    for r in out:
        s = r["store"]
        one, batched, only = r["one by one"], r["batched"], r["append-only"]
        print(C.result_line(f"append {s} ingest events/s", one["per_s"], "events/s", "-", None))
        print(C.result_line(f"append {s} ratio ingest/raw", one["ratio"], "x", ">= 0.5", one["ratio"] >= 0.5))
        print(
            C.result_line(
                f"append {s} ratio batched ingest/raw", batched["ratio"], "x", ">= 0.5", batched["ratio"] >= 0.5
            )
        )
        print(C.result_line(f"append {s} ratio append-only/raw", only["ratio"], "x", "(>= 0.5)", None))


if __name__ == "__main__":
    main()
