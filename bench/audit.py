"""The audit trail: export and verify of a large event store, in events/s.

Fills a SQLite calls store with N events (default 1,000,000) by a raw insert into the eventsourcing schema: one
realistic call (received, routed, answered, completed) is recorded through the application, and its four stored
events are copied under new aggregate ids, so the fill takes seconds and is not what is measured. Then it runs the
export of `crm audit export` (read the notification log, canonical JSON, hash chain, Merkle tree, signed manifest)
and the verification of `crm audit verify` (signature, every line's chain, file hashes and roots), and prints
events/s of each. Target: 50,000 events/s each. The export runs as `crm audit export` does, in `--jobs` worker
processes (default one per CPU); its CPU figure counts the workers too.

    .venv/bin/python bench/audit.py [--events 1000000] [--keep DIR] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path

from services.calls.main import build_centre  # noqa: E402
from shared.audit import signing  # noqa: E402
from shared.audit.export import EventReader, write_manifest  # noqa: E402
from shared.audit.parallel import export_events  # noqa: E402
from shared.audit.verify import verify_export  # noqa: E402
from shared.settings import Settings  # noqa: E402

TARGET = 50_000


def fill(settings: Settings, n: int) -> int:
    centre = build_centre(settings)
    at = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    raw = "09131234567"
    call = C.incoming_call(at, raw, "audit-bench-0")
    call.route("trade", at + timedelta(seconds=2), queue="602", pbx_event_id="audit-bench-0-q")
    call.answer("ext:201", at + timedelta(seconds=20), pbx_event_id="audit-bench-0-a")
    call.hang_up(at + timedelta(seconds=200), talk_seconds=180, pbx_event_id="audit-bench-0-c")
    centre.save(call)
    centre.close()
    db = sqlite3.connect(settings.data_dir / "calls.events.db")
    template = db.execute("SELECT originator_version, topic, state FROM stored_events ORDER BY rowid").fetchall()
    written = len(template)
    batch: list[tuple] = []
    while written < n:
        ident = uuid.uuid4().hex  # as the SQLite recorder stores a UUID id: 32 hex digits
        rows = template[: n - written]
        batch.extend((ident, version, topic, state) for version, topic, state in rows)
        written += len(rows)
        if len(batch) >= 100_000:
            db.executemany(
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)", batch
            )
            db.commit()
            batch.clear()
    if batch:
        db.executemany(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)", batch
        )
        db.commit()
    count = db.execute("SELECT count(*) FROM stored_events").fetchone()[0]
    db.close()
    return int(count)


def _children_cpu() -> float:
    """CPU seconds of the child processes that have ended (the export's workers end with it)."""
    times = os.times()
    return times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="leave the store and the export in this folder")
    parser.add_argument("--jobs", type=int, help="worker processes of the export (default: one per CPU)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crm-audit-bench-") as tmp:
        base = args.keep or Path(tmp)
        settings = Settings(data_dir=base / "data", relay_embedded=False, _env_file=None)
        started = time.perf_counter()
        n = fill(settings, args.events)
        print(f"filled {n:,} events in {time.perf_counter() - started:.1f}s")
        signing.generate_keys(base / "keys")
        key = signing.load_private_key(base / "keys" / signing.PRIVATE_KEY_FILE)
        out = base / "export"
        out.mkdir()

        centre = build_centre(settings)
        started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        with (out / "calls.jsonl").open("wb") as f:
            chain = export_events(f, EventReader(centre), jobs=args.jobs)
        write_manifest(
            out,
            [chain.summary("calls.jsonl", "calls")],
            key,
            period={"from": None, "to": None},
            previous_signature=None,
            created_at=datetime.now(UTC),
        )
        export_seconds, export_cpu = time.perf_counter() - started, time.process_time() - cpu
        export_cpu += _children_cpu() - children  # the export's worker processes
        centre.close()
        size = (out / "calls.jsonl").stat().st_size
        # CPU time too: on a shared two-core machine the wall clock also counts the other processes' turns.
        print(f"export: {chain.lines:,} events, {size / 1e6:.0f} MB in {export_seconds:.1f}s ({export_cpu:.1f}s CPU)")

        public = signing.load_public_key((base / "keys" / signing.PUBLIC_KEY_FILE).read_bytes())
        started, cpu = time.perf_counter(), time.process_time()
        report = verify_export(out, public)
        verify_seconds, verify_cpu = time.perf_counter() - started, time.process_time() - cpu
        state = "verified" if report.ok else report.failures
        print(f"verify: {report.lines:,} events in {verify_seconds:.1f}s ({verify_cpu:.1f}s CPU), {state}")

        export_rate, verify_rate = chain.lines / export_seconds, report.lines / verify_seconds
        print(C.result_line("export events/s", export_rate, "events/s", f">={TARGET}", export_rate >= TARGET))
        print(C.result_line("verify events/s", verify_rate, "events/s", f">={TARGET}", verify_rate >= TARGET))
        # Per second of this process's CPU: what one free core does, whatever else the machine runs meanwhile.
        export_cpu_rate, verify_cpu_rate = chain.lines / export_cpu, report.lines / verify_cpu
        ok = export_cpu_rate >= TARGET
        print(C.result_line("export events/CPU-s", export_cpu_rate, "events/s", f">={TARGET}", ok))
        ok = verify_cpu_rate >= TARGET
        print(C.result_line("verify events/CPU-s", verify_cpu_rate, "events/s", f">={TARGET}", ok))
        print(f"load average during the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if not report.ok or chain.lines != n:
            raise SystemExit("the export did not verify, or missed events")


if __name__ == "__main__":
    main()
