"""Importing the member database from CSV: 30,000 members on the embedded default (SQLite in a temporary data
folder), through `services.members.csv_import.import_csv`, the path `POST /members/import` takes.

Generates the file from the demo generator (Persian and Turkish names, two or three phone numbers per member in
mixed notations, partner countries), about 1% of rows broken on purpose (bad phone, unknown country, duplicate
number) so the rejection path is measured too. Prints rows/s and total seconds of
1. the first import (every member registered, in batches of 500 per transaction);
2. the same file again (idempotent: every row compared, nothing written);
3. the search index catching up with the store.
Target: the first import under 60 s. The CPU seconds of the first import are printed too: on a loaded machine the
rest of its time is waiting for a core as much as for the disk.

    .venv/bin/python bench/members_import.py [--rows 30000] [--seed 1405]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path

from services.members.csv_import import import_csv  # noqa: E402
from services.members.demo import demo_rows  # noqa: E402
from services.members.main import build_directory, build_index  # noqa: E402
from shared.settings import Settings  # noqa: E402

COLUMNS = [
    "membership_number", "kind", "name", "status", "trade_group", "field_of_activity", "products", "import_countries",
    "export_countries", "contact_name", "contact_role", "phones", "contact2_name", "contact2_role", "contact2_phones",
    "contact3_name", "contact3_role", "contact3_phones", "email", "address", "preferred_language",
]  # fmt: skip


def write_csv(path: Path, rows: int, seed: int) -> int:
    """The CSV file (UTF-8 with BOM); returns how many rows are broken on purpose."""
    rng = random.Random(seed + 1)
    broken = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for row in demo_rows(rows, seed):
            d = row.details
            cells = {
                "membership_number": row.membership_number,
                "kind": d["kind"],
                "name": d["name"],
                "status": row.status,
                "trade_group": d["trade_group"],
                "field_of_activity": d["field_of_activity"],
                "products": ";".join(d["products"]),
                "import_countries": ";".join(d["import_countries"]),
                "export_countries": ";".join(d["export_countries"]),
                "email": d["email"] or "",
                "address": d["address"] or "",
                "preferred_language": d["preferred_language"] or "",
            }
            for n, c in enumerate(d["contacts"], start=1):
                prefix = "contact" if n == 1 else f"contact{n}"
                cells[f"{prefix}_name"] = c["name"]
                cells[f"{prefix}_role"] = c["role"] or ""
                cells["phones" if n == 1 else f"{prefix}_phones"] = ";".join(p["raw"] for p in c["phones"])
            roll = rng.random()
            if roll < 0.004:
                cells["phones"] = "12345"
                broken += 1
            elif roll < 0.007:
                cells["export_countries"] = "Atlantis"
                broken += 1
            elif roll < 0.01:
                cells["membership_number"] = f"{seed}{1:05d}"  # the first row's number again
                broken += 1
            out.writerow([cells.get(c, "") for c in COLUMNS])
    return broken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1405)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crm-members-bench-") as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data", store="sqlite")
        path = Path(tmp) / "members.csv"
        started = time.perf_counter()
        broken = write_csv(path, args.rows, args.seed)
        print(
            f"generated {args.rows} rows ({path.stat().st_size / 1e6:.1f} MB, {broken} broken on purpose) in {time.perf_counter() - started:.1f} s"
        )

        directory = build_directory(settings)
        try:
            started, cpu = time.perf_counter(), time.process_time()
            report = import_csv(directory, path, by="bench")
            first, first_cpu = time.perf_counter() - started, time.process_time() - cpu
            print(
                f"first import: {first:.1f} s, {args.rows / first:,.0f} rows/s "
                f"({report.created} registered, {len(report.rejected)} rejected, {directory.recorder.max_notification_id()} events); "
                f"CPU {first_cpu:.1f} s, so {max(0.0, first - first_cpu):.1f} s waiting (disk, or the other work on the machine)"
            )
            assert len(report.rejected) == broken, (len(report.rejected), broken)

            started = time.perf_counter()
            again = import_csv(directory, path, by="bench")
            second = time.perf_counter() - started
            print(
                f"second import (nothing changes): {second:.1f} s, {args.rows / second:,.0f} rows/s ({again.unchanged} unchanged)"
            )
            assert again.created == again.updated == 0

            index = build_index(settings, directory)
            started = time.perf_counter()
            projected = index.catch_up()
            indexing = time.perf_counter() - started
            print(f"search index catch-up: {indexing:.1f} s, {projected / indexing:,.0f} events/s")
        finally:
            directory.close()

    print(C.result_line("members import rows/s", args.rows / first, "rows/s", "-", None))
    print(C.result_line("members import seconds", first, "s", "< 60", first < 60))
    print(C.result_line("members import CPU seconds", first_cpu, "s", "-", None))
    print(C.result_line("members re-import seconds", second, "s", "-", None))
    print(C.result_line("members index catch-up seconds", indexing, "s", "-", None))


if __name__ == "__main__":
    main()
