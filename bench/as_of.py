"""`as_of` over a year of a busy chamber: a report as it stood at a past moment, from the read model's journal.

Journals N events (default 500,000) of calls spread over a year, as the reporting processor journals what it
applies: one answered call (received, routed, answered, completed) and one the unit did not answer (received,
routed, not answered) are recorded through the calls application and their events copied under new call ids and
times, straight into the journal, so the fill is not what is measured. Then it takes the `as_of` snapshots as the
processor's tick does (one every snapshots.EVERY events), and times the unit summary and the month's call figures
as of moments through the year: with the snapshots, and for the latest moment without them (a replay from the
start, the way before snapshots). Target: under 5 s for any moment.

    .venv/bin/python bench/as_of.py [--events 500000] [--every 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path

from services.calls.main import build_centre  # noqa: E402
from services.reporting.readmodel import ReadModel  # noqa: E402
from services.reporting.snapshots import snapshots, take_snapshots  # noqa: E402
from services.reporting.tables import journal  # noqa: E402
from shared.envelope import dumps  # noqa: E402
from shared.relay import EnvelopeMapper  # noqa: E402
from shared.settings import Settings  # noqa: E402

TARGET_SECONDS = 5.0
BASE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def templates(settings: Settings) -> list[list[dict]]:
    """The envelopes of two calls at BASE: one answered, one the unit did not answer."""
    centre = build_centre(settings)
    raw = "09131234567"
    calls = []
    for n, answered in enumerate((True, False)):
        call = C.incoming_call(BASE, raw, f"as-of-bench-{n}")
        call.route("trade", BASE + timedelta(seconds=2), queue="602", pbx_event_id=f"as-of-bench-{n}-q")
        if answered:
            call.answer("ext:201", BASE + timedelta(seconds=20), pbx_event_id=f"as-of-bench-{n}-a")
            call.hang_up(BASE + timedelta(seconds=200), talk_seconds=180, pbx_event_id=f"as-of-bench-{n}-c")
        else:
            call.unit_did_not_answer(BASE + timedelta(seconds=60), pbx_event_id=f"as-of-bench-{n}-x")
        centre.save(call)
        calls.append(call.id)
    mapper = EnvelopeMapper(centre)
    events = [mapper(n) for n in centre.recorder.select_notifications(1, 100)]
    centre.close()
    return [[json.loads(dumps(e.as_dict())) for e in events if e.subject == str(call_id)] for call_id in calls]


def fill(model: ReadModel, settings: Settings, n: int) -> int:
    """n journal rows, inserted raw (applied_at as SQLAlchemy stores a UTC time on SQLite)."""
    shapes = []
    for shape in templates(settings):
        texts = []
        for t in shape:
            offset = datetime.fromisoformat(t["data"]["at"]) - BASE
            t = {**t, "id": "@ID@", "time": "@AT@", "subject": "@CALL@", "data": {**t["data"], "at": "@AT@"}}
            texts.append(
                (offset, json.dumps(t, separators=(",", ":")).replace(json.dumps(shape[0]["subject"]), '"@CALL@"'))
            )
        shapes.append(texts)
    written, i = 0, 0
    step = timedelta(days=365) / (n / 3.5)  # calls spread evenly over the year
    rows: list[tuple[str, str]] = []
    raw = model.engine.raw_connection()
    try:
        while written < n:
            at = BASE + step * i
            new = str(uuid.uuid4())
            for offset, text in shapes[i % 7 // 5][: n - written]:  # five answered calls to two not answered
                moment = at + offset
                iso = moment.isoformat()
                envelope = text.replace("@CALL@", new).replace("@ID@", str(uuid.uuid4())).replace("@AT@", iso)
                rows.append((moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"), envelope))
                written += 1
            i += 1
            if len(rows) >= 50_000:
                raw.cursor().executemany(f"INSERT INTO {journal.name} (applied_at, envelope) VALUES (?, ?)", rows)
                rows.clear()
        if rows:
            raw.cursor().executemany(f"INSERT INTO {journal.name} (applied_at, envelope) VALUES (?, ?)", rows)
        raw.commit()
    finally:
        raw.close()
    return written


def report(model: ReadModel, when: datetime, *, with_snapshots: bool = True) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, calls offered) of the unit summary and the month's figures as of `when`."""
    started, cpu = time.perf_counter(), time.process_time()
    replica = model.as_of(when, snapshots=with_snapshots)
    offered = sum(r["offered"] for r in replica.unit_counts())
    replica.call_facts_between(when - timedelta(days=30), when)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    replica.engine.dispose()
    return seconds, cpu_seconds, offered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=500_000)
    parser.add_argument("--every", type=int, default=None, help="journaled events between snapshots")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crm-as-of-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", relay_embedded=False, _env_file=None)
        model = ReadModel(settings.readmodel_db_url, settings.business_calendar)
        started = time.perf_counter()
        n = fill(model, settings, args.events)
        print(f"journaled {n:,} events in {time.perf_counter() - started:.1f}s")

        started, cpu = time.perf_counter(), time.process_time()
        taken = take_snapshots(model, **({"every": args.every} if args.every else {}))
        snap_seconds, snap_cpu = time.perf_counter() - started, time.process_time() - cpu
        with model.engine.connect() as conn:
            size = sum(len(r[0]) for r in conn.execute(snapshots.select().with_only_columns(snapshots.c.image)))
        print(f"{taken} snapshots ({size / 1e6:.0f} MB) in {snap_seconds:.1f}s ({snap_cpu:.1f}s CPU)")

        end = BASE + timedelta(days=365)
        worst = worst_cpu = 0.0
        for fraction in (0.1, 0.37, 0.5, 0.83, 1.0):
            when = BASE + (end - BASE) * fraction
            seconds, cpu_seconds, offered = report(model, when)
            worst, worst_cpu = max(worst, seconds), max(worst_cpu, cpu_seconds)
            print(f"as_of {when:%Y-%m-%d %H:%M}: {offered:,} calls offered, {seconds:.2f}s ({cpu_seconds:.2f}s CPU)")
        seconds, cpu_seconds, offered = report(model, end, with_snapshots=False)
        print(
            f"as_of {end:%Y-%m-%d %H:%M} without snapshots: {offered:,} calls, {seconds:.2f}s ({cpu_seconds:.2f}s CPU)"
        )
        print(C.result_line("as_of worst, snapshots", worst, "s", f"<{TARGET_SECONDS:g}", worst < TARGET_SECONDS))
        print(
            C.result_line(
                "as_of worst CPU, snapshots", worst_cpu, "s", f"<{TARGET_SECONDS:g}", worst_cpu < TARGET_SECONDS
            )
        )
        print(C.result_line("as_of from the start", seconds, "s", "-", None))
        print(C.result_line("as_of speed-up, CPU", cpu_seconds / worst_cpu, "x", "-", None))
        print(f"load average during the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        model.engine.dispose()


if __name__ == "__main__":
    main()
