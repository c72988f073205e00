"""`crm calls import-queue-log` replays an Asterisk queue_log into the real SQLite store; run twice, it changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.calls.main import build_centre
from tests.integration.conftest import ROOT, crm_env

pytestmark = pytest.mark.integration

QUEUE_LOG = Path(__file__).resolve().parents[1] / "calls" / "fixtures" / "queue_log"


def import_queue_log(settings) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "calls", "import-queue-log", str(QUEUE_LOG)],
        env=crm_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_replaying_a_queue_log_twice_changes_nothing_the_second_time(settings):
    first = import_queue_log(settings)
    # One malformed line and one line for a queue no unit owns: reported with their numbers, the rest imported.
    assert first.returncode == 1
    assert "queue_log:39:" in first.stderr and "queue_log:42: refused: queue '690' is not mapped" in first.stderr
    assert "28 applied, 0 duplicate" in first.stdout
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
