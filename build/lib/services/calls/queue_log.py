"""`crm calls import-queue-log FILE`: replay an Asterisk queue_log into the calls service's event store.

Idempotent by the PBX's ids: after an outage the whole file can be replayed; what was already ingested is
recognised and skipped, the gaps are filled. Every line that cannot be used is reported with its number and why.

Exit codes, as for every `crm` importer:
  0  every line was used, or was already there (or says nothing about a call);
  1  some lines were refused (malformed, not fitting the call, or held until their queue is mapped): the rest is in;
  2  the file could not be read (missing, unreadable, or not a queue_log at all): nothing was imported.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from services.calls.index import CallIndex
from services.calls.main import build_centre
from services.calls.telephony import TelephonyError, TelephonyEvent, parse_queue_log
from shared.db import create_engine
from shared.settings import Settings

# Lines stored per transaction, each chunk applied in the PBX's time order as the webhook's batches are.
CHUNK_LINES = 500


def import_queue_log(settings: Settings, path: Path, out=sys.stdout, err=sys.stderr) -> int:
    try:
        fh = path.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        print(f"crm: {path}: cannot read: {exc.strerror or exc}", file=err)
        return 2
    centre = build_centre(settings)
    index = CallIndex(centre, create_engine(settings.local_db_url("calls_index")), settings.business_calendar)
    counts: Counter[str] = Counter()
    pending: list[tuple[int, TelephonyEvent]] = []

    def flush() -> None:
        # One transaction per chunk of lines: a commit per line made the import as slow as the disk's flushes.
        outcomes = centre.ingest_batch([event for _, event in pending])
        for (number, event), outcome in zip(pending, outcomes, strict=True):
            counts[outcome.status] += 1
            if outcome.status == "rejected":
                print(f"{path}:{number}: refused: {outcome.reason}", file=err)
                index.record_rejection(
                    source="queue_log",
                    event_id=event.event_id,
                    call_id=event.call_id,
                    reason=outcome.reason or "",
                    payload={"file": str(path), "line": number},
                    at=centre.clock(),
                )
            elif outcome.status == "held":
                print(f"{path}:{number}: held: call {event.call_id} waits for its queue to be mapped", file=err)
        pending.clear()

    try:
        with fh:
            # Streamed line by line: a PBX's queue_log runs to hundreds of megabytes.
            for number, result in parse_queue_log(fh, tz=settings.business_calendar.tz):
                if result is None:
                    counts["not about a call"] += 1
                    continue
                if isinstance(result, TelephonyError):
                    counts["malformed"] += 1
                    print(f"{path}:{number}: {result}", file=err)
                    continue
                counts["events"] += 1
                pending.append((number, result))
                if len(pending) >= CHUNK_LINES:
                    flush()
            if pending:
                flush()
        index.follower.catch_up()
    except OSError as exc:  # a read error halfway (a disk, a network share): what was read is in, and idempotent
        if pending:
            flush()
        print(f"crm: {path}: cannot read: {exc.strerror or exc}", file=err)
        return 2
    finally:
        centre.close()
    if counts["malformed"] and not counts["events"]:
        print(f"crm: {path}: not a queue_log: no line reads as time|callid|queue|agent|event", file=err)
        return 2
    order = ["applied", "duplicate", "ignored", "held", "rejected", "malformed", "not about a call"]
    print(f"{path}: " + ", ".join(f"{counts[k]} {k}" for k in order), file=out)
    return 1 if counts["rejected"] or counts["malformed"] or counts["held"] else 0
