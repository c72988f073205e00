"""Snapshots of the `as_of` replica never change a report: as of any moment (before the first event, exactly at a
snapshot, between two, after the last) every report reads byte for byte the same with snapshots as without."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from services.reporting.as_of import AsOfCache
from services.reporting.main import create_app
from services.reporting.readmodel import ReadModel
from services.reporting.snapshots import snapshots, take_snapshots
from shared.settings import Settings
from tests.reporting.complaint_story import isfahan
from tests.reporting.test_api import Day, envelopes
from tests.reporting.test_as_of import REPORTS

MORE = [
    ("/reports/complaints/six-monthly", {"year": "1405", "half": "1"}),
    ("/reports/complaints/yearly", {"year": "1405"}),
]


def test_reports_as_of_any_moment_are_the_same_with_snapshots_as_without(settings, clock, tmp_path, tokens) -> None:
    # A chamber's calls and complaints, recorded elsewhere, then applied here one event at a time, a minute apart.
    elsewhere = Settings(data_dir=tmp_path / "elsewhere", relay_embedded=False)
    day = Day(elsewhere, clock)
    story = isfahan(clock, tmp_path / "story")
    events = envelopes(day.centre) + envelopes(day.oversight) + story.events()
    writer = ReadModel(settings.readmodel_db_url, settings.business_calendar)
    start = max(clock.now, story.now)
    for i, event in enumerate(events):
        writer.apply([event], at=start + timedelta(minutes=i))
    clock.now = start + timedelta(minutes=len(events) + 5)

    every = max(3, len(events) // 6)
    with writer.engine.connect() as conn:
        assert conn.execute(snapshots.select()).first() is None
    moments = [start - timedelta(minutes=1)]
    for k in range(1, len(events) // every + 1):
        at_snapshot = start + timedelta(minutes=k * every - 1)  # the applied_at of the snapshot's last event
        moments += [at_snapshot - timedelta(seconds=1), at_snapshot, at_snapshot + timedelta(seconds=30)]
    moments.append(clock.now)
    reports = [*REPORTS, *MORE]

    with TestClient(create_app(settings, clock=clock)) as client:

        def read_all() -> dict[tuple, tuple[int, bytes]]:
            client.app.state.as_of_cache = AsOfCache()  # type: ignore[attr-defined]
            out = {}
            for moment in moments:
                for path, params in reports:
                    response = client.get(path, params={**params, "as_of": moment.isoformat()}, headers=tokens["sg"])
                    assert response.status_code in (200, 404), (path, response.text)  # a list not produced yet
                    out[(moment, path, tuple(params.items()))] = (response.status_code, response.content)
            return out

        without = read_all()
        taken = take_snapshots(writer, every=every, keep=2, sparse=2)
        assert taken == len(events) // every >= 5
        assert take_snapshots(writer, every=every) == 0  # none due until `every` more events
        with writer.engine.connect() as conn:
            kept = [seq for (seq,) in conn.execute(sa.select(snapshots.c.seq).order_by(snapshots.c.seq))]
        # The newest two, and of the older ones those at an even multiple of `every`: the moments before them are
        # answered from an older snapshot, or from the start.
        newest = [k * every for k in range(taken - 1, taken + 1)]
        assert kept == [k * every for k in range(2, taken - 1, 2)] + newest
        with_snapshots = read_all()

    assert with_snapshots == without
    assert len({v for k, v in without.items() if k[1] == "/reports/units"}) > 3  # the moments do differ
    assert any(v[0] == 200 for k, v in without.items() if k[1].startswith("/reports/end-of-day/"))
    replicas = [writer.as_of(m) for m in moments], [writer.as_of(m, snapshots=False) for m in moments]
    assert [r.dump() for r in replicas[0]] == [r.dump() for r in replicas[1]]
