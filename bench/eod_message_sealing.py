"""What sealing the end-of-day list message costs the notifier: CPU per list message requested.

The notifier takes L end-of-day lists (default 280) of 20 entries each, every entry another caller, and requests
one message per list to the unit's manager, with a real SQLite store, index and key folder. Since the list is
sealed under a key of its own (services/notifications/listed.py), each message makes a key and records whom it
names. Prints µs of CPU per list. Compare two checkouts with CRM_BENCH_CODE=<the other checkout>.

    .venv/bin/python bench/eod_message_sealing.py [--lists 280]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path
import sqlalchemy as sa  # noqa: E402

from services.notifications.application import Notifier  # noqa: E402
from shared.envelope import CloudEvent  # noqa: E402
from shared.eventstore import PRIVACY_KEYS  # noqa: E402
from shared.settings import Settings  # noqa: E402

ENTRIES = 20


def listing(n: int) -> CloudEvent:
    items = [C.end_of_day_entry(f"c-{n}-{i}", n * ENTRIES + i) for i in range(ENTRIES)]
    data = {"unit": "trade", "day": "2026-11-21", "manager": "f.alavi", "produced_at": "2026-11-21T12:30:00+00:00"}
    return CloudEvent(
        id=f"eod-{n}:1",
        source="crm/reporting",
        type="crm.reporting.end_of_day_list.produced.v1",
        time="2026-11-21T12:30:00+00:00",
        subject=f"eod-{n}",
        sequence=1,
        position=n + 1,
        data={**data, "items": items},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=280)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    settings = Settings(data_dir=folder)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(folder / "events.db"),
        PRIVACY_KEYS: str(folder / "keys"),
    }
    notifier = Notifier(
        env,
        engine=sa.create_engine(f"sqlite:///{folder / 'index.db'}"),
        organisation=settings.organisation,
        calendar=settings.business_calendar,
        clock=lambda: datetime(2026, 11, 21, 12, 30, tzinfo=UTC),
    )
    notifier.take([listing(args.lists)])  # the tables, templates and the key store's secret are made
    events = [listing(n) for n in range(args.lists)]
    start = time.process_time()
    assert notifier.take(events) == args.lists
    cpu = (time.process_time() - start) / args.lists * 1e6
    print(f"{args.lists} lists of {ENTRIES} entries: {cpu:.0f} µs CPU per list message")
    notifier.close()


if __name__ == "__main__":
    main()
