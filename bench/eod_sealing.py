"""What sealing the callers on an end-of-day list costs the reporting service: CPU per list recorded.

Records L lists (default 200) of 50 entries each, every entry a different caller, in the reporting service's own
store with a key folder of its own (services/reporting/privacy.py seals each entry under its caller's key; the keys
are made by the first list and reused by the others, as the calls service has made them already in a chamber).
Prints µs of CPU per list. Compare two checkouts with CRM_BENCH_CODE=<the other checkout>.

    .venv/bin/python bench/eod_sealing.py [--lists 200]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime

import _common as C  # noqa: I001 - puts the project on sys.path

from services.reporting.oversight import Oversight  # noqa: E402
from shared.eventstore import PRIVACY_KEYS  # noqa: E402

ENTRIES = 50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lists", type=int, default=200)
    args = parser.parse_args()
    app = Oversight({PRIVACY_KEYS: tempfile.mkdtemp()})
    items = [C.end_of_day_entry(f"c-{n}", n) for n in range(ENTRIES)]
    start = time.process_time()
    for day in range(args.lists):
        at = datetime.now(UTC)
        app.produce_end_of_day_list(unit="trade", day=f"day-{day}", manager="f.alavi", produced_at=at, items=items)
    cpu = (time.process_time() - start) / args.lists * 1e6
    print(f"{args.lists} lists of {ENTRIES} entries: {cpu:.0f} µs CPU per list, {cpu / ENTRIES:.1f} µs per entry")
    app.close()


if __name__ == "__main__":
    main()
