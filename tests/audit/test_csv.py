"""The CSV view: one row per event, UTF-8 with a BOM so that spreadsheets show Persian text as written."""

from __future__ import annotations

import csv
import io
import json


def test_the_csv_view_has_one_row_per_event_in_utf8_with_bom(crm, export_dir, tmp_path):
    out = tmp_path / "events.csv"
    code, stdout, _ = crm("audit", "csv", export_dir, "--out", out)
    assert code == 0 and "24 events" in stdout
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 24
    assert [int(r["position"]) for r in rows] == list(range(1, 25))
    first = rows[0]
    assert first["service"] == "members" and first["line"] == "1" and first["version"] == "1"
    assert first["type"] == "crm.members.member.registered.v1"
    data = json.loads(first["data"])
    assert (data["name"], data["membership_number"]) == ("[sealed]", "3000")  # personal data stays sealed
    assert first["prev"] == "0" * 64
    assert all(r["data"].startswith("{") for r in rows)  # no cell a spreadsheet would take for a formula


def test_a_damaged_export_is_refused_rather_than_shown_in_part(crm, export_dir, tmp_path):
    (export_dir / "members.jsonl").write_bytes(b"not a line\n")
    code, _, err = crm("audit", "csv", export_dir, "--out", tmp_path / "events.csv")
    assert code == 2 and "run crm audit verify" in err
