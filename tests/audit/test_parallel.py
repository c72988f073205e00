"""An export written by worker processes is byte for byte the one a single process writes, manifest included."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from services.members.main import build_directory
from shared.audit import parallel, signing
from shared.audit.export import MANIFEST, SIGNATURE, EventReader, write_events, write_file, write_manifest
from shared.audit.parallel import export_events
from shared.audit.signing import load_private_key

DAY_ONE = datetime(2026, 11, 22, tzinfo=UTC)


@pytest.fixture
def week_of_members(settings, clock):
    """Forty members over eight days, each registered then updated; every seventh has a name outside the Basic
    Multilingual Plane, which the fast encoding leaves to canonical(): both ways run in the workers."""
    directory = build_directory(settings, clock)
    for i in range(40):
        name = f"شرکت نمونه {i}" + (" 😀" if i % 7 == 0 else "")
        directory.register_member(str(4000 + i), {"kind": "company", "name": name}, by="z.rahimi")
        directory.update_member(str(4000 + i), {"email": f"office{i}@example.ir"}, by="z.rahimi")
    directory.close()
    # Events are stamped with the time they were recorded, which the days of an export select: ten a day.
    db = sqlite3.connect(settings.data_dir / "members.events.db")
    for rowid, state in db.execute("SELECT rowid, state FROM stored_events").fetchall():
        event = json.loads(state)
        event["timestamp"]["_data_"] = (DAY_ONE + timedelta(days=(rowid - 1) // 10, minutes=rowid)).isoformat()
        db.execute("UPDATE stored_events SET state=? WHERE rowid=?", (json.dumps(event).encode(), rowid))
    db.commit()
    db.close()
    return settings


def _export(reader: EventReader, start=None, end=None, *, jobs: int | None) -> tuple[bytes, object]:
    out = io.BytesIO()
    chain = export_events(out, reader, start, end, jobs=jobs) if jobs else write_events(out, reader.encoded(start, end))
    return out.getvalue(), chain.summary("members.jsonl", "members")


@pytest.mark.parametrize("days", [None, (2, 5)])
def test_workers_write_the_same_file_and_manifest_as_one_process(week_of_members, clock, monkeypatch, tmp_path, days):
    monkeypatch.setattr(parallel, "CHUNK", 7)  # 80 events: a dozen ranges, some cut inside a day
    start = end = None
    if days is not None:
        start, end = DAY_ONE + timedelta(days=days[0]), DAY_ONE + timedelta(days=days[1])
    directory = build_directory(week_of_members, clock)
    reader = EventReader(directory)
    reference = io.BytesIO()
    expected = write_file(reference, reader.records(start, end)).summary("members.jsonl", "members")  # pure Python
    assert expected.lines == (80 if days is None else 30)
    files = {}
    for jobs in (None, 1, 2, 3):  # None: write_events on EventReader.encoded, the one-process way
        body, summary = _export(reader, start, end, jobs=jobs)
        assert body == reference.getvalue(), jobs
        assert summary == expected, jobs
        files[jobs] = summary
    directory.close()

    signing.generate_keys(tmp_path / "keys")
    key = load_private_key(tmp_path / "keys" / signing.PRIVATE_KEY_FILE)
    manifests = set()
    for jobs, summary in files.items():
        folder = tmp_path / f"jobs-{jobs}"
        folder.mkdir()
        write_manifest(folder, [summary], key, period={}, previous_signature=None, created_at=clock())
        manifests.add(((folder / MANIFEST).read_bytes(), (folder / SIGNATURE).read_bytes()))
    assert len(manifests) == 1


def test_an_export_by_workers_verifies(crm, week_of_members, keys, tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "CHUNK", 5)
    one, several = tmp_path / "one", tmp_path / "several"
    for out, jobs in ((one, 1), (several, 3)):
        code, _, err = crm("audit", "export", "--service", "members", "--jobs", jobs, "--out", out, "--key", keys[0])
        assert code == 0, err
    assert (several / "members.jsonl").read_bytes() == (one / "members.jsonl").read_bytes()
    code, out_text, _ = crm("audit", "verify", several, "--public-key", keys[1])
    assert code == 0 and "verified (1 files, 80 events)" in out_text


def test_an_undeclared_event_met_by_a_worker_stops_the_export_and_leaves_nothing(
    crm, week_of_members, keys, tmp_path, monkeypatch
):
    from services.members.contract import CONTRACT

    monkeypatch.setattr(parallel, "CHUNK", 5)
    updated = next(k for k in CONTRACT.events if "updated" in k)
    monkeypatch.setattr(CONTRACT, "events", {k: v for k, v in CONTRACT.events.items() if k != updated})
    monkeypatch.setattr(CONTRACT, "_by_class", None)
    monkeypatch.setattr(CONTRACT, "_by_topic", {})
    out = tmp_path / "export"
    code, _, err = crm("audit", "export", "--service", "members", "--jobs", 2, "--out", out, "--key", keys[0])
    assert code == 2 and "has no wire type" in err and "nothing was exported" in err
    assert list(out.iterdir()) == []


def test_fewer_than_one_job_is_refused(crm, members_store, keys, tmp_path):
    code, _, err = crm("audit", "export", "--all", "--jobs", 0, "--out", tmp_path / "x", "--key", keys[0])
    assert code == 2 and "--jobs" in err
