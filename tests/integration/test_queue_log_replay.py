"""`crm calls import-queue-log` replays an Asterisk queue_log into the real SQLite store; run twice, it changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.calls.domain import call_id_for_pbx
from services.calls.main import build_centre
from shared.settings import DEFAULT_ORGANISATION
from tests.integration.conftest import ROOT, crm_env

pytestmark = pytest.mark.integration

QUEUE_LOG = Path(__file__).resolve().parents[1] / "calls" / "fixtures" / "queue_log"


def import_queue_log(settings, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "calls", "import-queue-log", str(QUEUE_LOG)],
        env=crm_env(settings, **env),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_replaying_a_queue_log_twice_changes_nothing_the_second_time(settings):
    first = import_queue_log(settings)
    # One malformed line and one call into a queue no unit owns (kept, held): reported with their numbers.
    assert first.returncode == 1
    assert "queue_log:39:" in first.stderr and "queue_log:42: held: call 1710224400.200" in first.stderr
    assert "28 applied, 0 duplicate, 3 ignored, 1 held, 0 rejected" in first.stdout
    centre = build_centre(settings)
    head = centre.recorder.max_notification_id()
    states = {
        c: centre.get_call(c).state for c in {n.originator_id for n in centre.recorder.select_notifications(0, 1000)}
    }
    centre.close()

    second = import_queue_log(settings)
    assert "0 applied, 28 duplicate" in second.stdout
    centre = build_centre(settings)
    try:
        assert centre.recorder.max_notification_id() == head
        assert {c: centre.get_call(c).state for c in states} == states
        # The abandoned call of the trade queue became an unanswered-call record for the trade unit.
        unanswered = [c for c in states if centre.get_call(c).state == "unanswered"]
        assert any(centre.get_call(c).unit == "trade" for c in unanswered)
    finally:
        centre.close()


def test_a_missing_file_is_a_clear_message(settings):
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "calls", "import-queue-log", "/nonexistent/queue_log"],
        env=crm_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "crm: /nonexistent/queue_log: no such file" in result.stderr


def test_a_call_into_an_unmapped_queue_is_routed_by_a_replay_once_the_organisation_file_maps_it(settings, tmp_path):
    assert import_queue_log(settings).returncode == 1
    corrected = tmp_path / "organisation.toml"
    corrected.write_text(
        DEFAULT_ORGANISATION.read_text(encoding="utf-8").replace('queues = ["602"]', 'queues = ["602", "690"]'),
        encoding="utf-8",
    )
    replay = import_queue_log(settings, CRM_ORGANISATION_FILE=str(corrected))
    assert "1 applied, 28 duplicate" in replay.stdout and " 0 held" in replay.stdout
    again = import_queue_log(settings, CRM_ORGANISATION_FILE=str(corrected))
    assert "0 applied, 29 duplicate" in again.stdout

    centre = build_centre(settings)
    try:
        call = centre.get_call(call_id_for_pbx("1710224400.200"))
        assert (call.unit, call.unrouted_queue, call.state) == ("trade", None, "queued")
        calls = {n.originator_id for n in centre.recorder.select_notifications(0, 1000)}
        assert all(centre.get_call(c).unrouted_queue is None for c in calls)  # every call routed
        routed = [n for n in centre.recorder.select_notifications(0, 1000) if n.topic.endswith("Call.Routed")]
        assert len(routed) == len({n.originator_id for n in routed})  # none twice
    finally:
        centre.close()
