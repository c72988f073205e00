"""The surveys pipeline benchmark at a small size, as a test: answers posted through the HTTP API of a real surveys
service (its own process, with the embedded broker) end in the responses read model that the scores and the trend
read, and on the surveys topic, exactly as posted: none lost, none twice."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from services.surveys.domain import contact_id

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def test_answers_posted_through_the_api_reach_the_read_model_and_the_topic_exactly_once(tmp_path):
    data = tmp_path / "run"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "surveys_pipeline.py"),
            "--answers",
            "400",
            "--members",
            "120",
            "--connections",
            "4",
            "--baseline",
            "20",
            "--timeout",
            "300",
            "--keep",
            str(data),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    run = json.loads((data / "run.json").read_text())
    sid, posted = run["survey_id"], run["posted"]
    assert len(posted) == 40  # 400 answers: 40 members' 10 answers, of the 120 the round asks

    with sqlite3.connect(data / "surveys_index.db") as con:
        rows = con.execute(
            "SELECT membership_number, answers, channel FROM survey_responses WHERE survey_id = ?", (sid,)
        ).fetchall()
    assert len(rows) == len(posted)
    assert {number: json.loads(answers) for number, answers, _ in rows} == posted
    assert {channel for _, _, channel in rows} == {"phone"}

    # The store holds one response per member, and the topic carried each once: every record read was distinct.
    with sqlite3.connect(data / "surveys.events.db") as con:
        stored = con.execute("SELECT count(*) FROM stored_events WHERE topic LIKE '%:Contact.Responded'").fetchone()[0]
    assert stored == len(posted)
    assert run["topic_records"] == len(posted)
    assert run["topic"] == {str(contact_id(uuid.UUID(sid), n)): answers for n, answers in posted.items()}

    results = {
        line.split("|")[1]: line.split("|")[2:] for line in done.stdout.splitlines() if line.startswith("RESULT|")
    }
    assert float(results["answers HTTP -> read model + Kafka/s"][0]) > 0
    assert float(results["pipeline answers/s ÷ raw answers/s"][0]) > 0
