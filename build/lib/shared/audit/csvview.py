"""A CSV view of an export for auditors who read spreadsheets, not JSON: one row per event.

UTF-8 with a byte-order mark, which is what makes Excel read Persian and Turkish text as UTF-8 rather than the
machine's code page. What people typed only ever appears inside the `data` cell, which starts with `{`, so no
cell can start a spreadsheet formula. Personal data is sealed in the store and so in the export (shared/privacy.py):
the view shows each sealed value as [sealed]. The view is for reading: the export itself is what verifies.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from shared.audit.chain import MalformedLine, split_line
from shared.audit.verify import Unreadable, read_manifest
from shared.privacy import masked

COLUMNS = ["service", "line", "position", "aggregate_id", "version", "type", "time", "data", "prev"]


def write_csv(export: Path, out: Path) -> int:
    """Writes the view; returns the number of events."""
    _, manifest, _ = read_manifest(export)
    rows = 0
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        for entry in manifest.get("files", []):
            name = str(entry.get("name", ""))
            if Path(name).name != name:
                raise Unreadable(f"unsafe file name {name!r} in the manifest")
            try:
                with (export / name).open("rb") as lines:
                    for number, raw in enumerate(lines, 1):
                        event, prev = split_line(raw.rstrip(b"\n"))
                        record = json.loads(event)
                        writer.writerow(
                            [
                                entry.get("service"),
                                number,
                                record["position"],
                                record["aggregate_id"],
                                record["version"],
                                record["type"],
                                record["time"],
                                json.dumps(masked(record["data"]), ensure_ascii=False, sort_keys=True),
                                prev,
                            ]
                        )
                        rows += 1
            except (OSError, MalformedLine, ValueError, KeyError) as exc:
                raise Unreadable(f"{name}: cannot be read for the CSV view ({exc}); run crm audit verify") from None
    return rows
