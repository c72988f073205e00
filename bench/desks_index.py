"""The desks service's reads with and without its index: N desks of 15 problem forms each on the embedded default
(SQLite in a temporary data folder), through the office's own commands. Prints how long it takes to store them, to
catch the index up, and each read (mean of five) both ways: by reading every desk from the store, and from the
index (the desk list by agency, one member's forms at every desk, a metrics scrape).

    .venv/bin/python bench/desks_index.py [--desks 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import _common as C  # noqa: F401, I001 - puts the project on sys.path

from services.desks.main import build_index, build_office  # noqa: E402
from services.desks.metrics import DeskCollector  # noqa: E402
from services.desks.views import desk_summary  # noqa: E402
from shared.settings import Settings  # noqa: E402


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 3, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def timed(label: str, read: Callable[[], Any], times: int = 5) -> None:
    start = time.perf_counter()
    for _ in range(times):
        read()
    print(f"{label}: {(time.perf_counter() - start) / times * 1000:.0f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--desks", type=int, default=100)
    args = parser.parse_args()
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="crm-bench-desks-")), relay_embedded=False)
    clock = Clock()
    office = build_office(settings, clock)
    calendar = office.calendar
    agencies = list(office.config.agencies)
    day = calendar.working_day_of(clock.now)
    start = time.perf_counter()
    for n in range(args.desks):
        day = calendar.next_working_day(day)
        starts_at = calendar.working_intervals(day)[0][0] + timedelta(hours=1)
        desk = office.plan_desk(
            agency=agencies[n % len(agencies)], starts_at=starts_at, place="hall", format="in_person", capacity=15
        )
        office.record_coordination(desk, liaison="liaison", note="agreed", by="bench")
        office.approve_plan(desk, by="bench")
        for k in range(15):
            office.register_member(
                desk, member_name=f"m{k}", member_id=f"M-{k}", phone="09131234567", channel="phone", problem="p", by="b"
            )
    print(f"stored {args.desks} desks of 15 forms in {time.perf_counter() - start:.1f} s", flush=True)
    index = build_index(settings, office)
    start = time.perf_counter()
    index.catch_up()
    print(f"index caught up in {time.perf_counter() - start:.2f} s", flush=True)
    timed("desk list, every desk read from the store", lambda: [desk_summary(d) for d in office.desks()])
    timed("desk list, from the index", lambda: index.desk_summaries("customs", None, limit=100, offset=0))
    timed(
        "one member's forms, every desk read from the store",
        lambda: [f for d in office.desks() for f in d.forms.values() if f["member_id"] == "M-3"],
    )
    timed("one member's forms, from the index", lambda: index.forms_of_member("M-3"))
    timed("metrics scrape, from the index", lambda: list(DeskCollector(office, index).collect()))
    office.close()


if __name__ == "__main__":
    main()
