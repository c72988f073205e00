"""A periodic survey round at the scale of the biggest chamber: 30,000 members, 10 questions each.

On the embedded default store (SQLite files under a temporary data directory) it
1. plans a round, sets its timing, records the questions meeting and starts it over 30,000 active members, then
   brings the index (the experts' call list, one row per member) up to date: seconds (target: under 30 s);
2. records answers through `SurveyOffice.record_response`, as the API does for each answer by phone (load the
   survey and the member's contact, check the member is asked, record the answers, save): answers/s, one answer
   per question answered, 10 per response (target: >= 2,000 answers/s);
3. brings the index (the responses read model that scores, trends and reports read) up to date with those
   answers: answers/s into the read model;
4. measures a BASELINE in the same run: raw inserts of the very rows the store stored for those responses, one
   transaction per row, into a fresh SQLite file in the same directory (WAL, `synchronous` left at its default, as
   eventsourcing's recorder leaves it), and prints the ratio responses/s ÷ raw inserts/s;
5. records the weekly summary of the round (thresholds evaluated, figures computed from the read model): seconds
   (target: under 2 s).

    .venv/bin/python bench/surveys.py [--members 30000] [--responses 3000]

To compare with the code before a change, run the same script with CRM_BENCH_CODE=<other checkout>.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import _common as C  # noqa: I001 - puts the project on sys.path

from services.surveys.main import build_index, build_office  # noqa: E402
from shared.settings import Settings  # noqa: E402

QUESTIONS = [{"key": f"q{i}", "text": {"fa": f"پرسش {i}", "tr": f"Soru {i}"}} for i in range(1, 10)] + [
    {"key": "recommend", "kind": "yes_no", "text": {"fa": "توصیه می‌کنید؟", "tr": "Tavsiye eder misiniz?"}}
]
BOARD = [
    {"name": "president", "role": "president"},
    {"name": "sg", "role": "sg"},
    {"name": "m.karimi", "role": "mr_manager"},
]
START = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # a Saturday morning in Tehran: a working day


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Roster:
    def __init__(self, numbers: list[str]):
        self.numbers = numbers

    def active_numbers(self) -> list[str]:
        return list(self.numbers)

    def selection(self, selection_id: str) -> list[str] | None:
        return None


def sqlite_raw(directory: Path, rows: list[tuple]) -> float:
    """Raw inserts/s of `rows` (id, version, topic, state) under fresh ids: WAL, BEGIN/COMMIT per row."""
    path = directory / f"raw-{uuid.uuid4().hex[:8]}.db"
    con = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        ids: dict = {}
        params = [(ids.setdefault(oid, uuid.uuid4()).hex, v, t, s) for oid, v, t, s in rows]
        cur = con.cursor()
        started = time.perf_counter()
        for p in params:
            cur.execute("BEGIN")
            cur.execute("INSERT INTO raw_events VALUES (?,?,?,?)", p)
            con.commit()
        return len(params) / (time.perf_counter() - started)
    finally:
        con.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def stored_rows(office, after: int) -> list[tuple]:
    rows, position = [], after
    while True:
        batch = office.recorder.select_notifications(position, 1000, inclusive_of_start=False)
        if not batch:
            return rows
        rows.extend((n.originator_id, n.originator_version, n.topic, n.state) for n in batch)
        position = batch[-1].id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=30_000, help="members asked by the round")
    parser.add_argument("--responses", type=int, default=3_000, help="responses recorded (10 answers each)")
    parser.add_argument("--seed", type=int, default=1405)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    numbers = [f"{args.seed}{i:06d}" for i in range(1, args.members + 1)]
    print(f"code measured: {C.ROOT}")
    with tempfile.TemporaryDirectory(prefix="crm-bench-surveys-") as tmp:
        settings = Settings(data_dir=Path(tmp), relay_embedded=False)
        clock = Clock(START)
        office = build_office(settings, clock)
        office.roster = Roster(numbers)
        index = build_index(settings, office)
        try:
            qid = office.create_questionnaire(code="bench", title="bench", questions=QUESTIONS)
            started = time.perf_counter()
            sid = office.plan_round(period="2026-H2", questionnaire=qid)
            office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
            office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="-")
            office.start_survey(sid)
            started_at = time.perf_counter() - started
            index.catch_up()
            round_seconds = time.perf_counter() - started
            print(
                f"round of {args.members} members started in {started_at:.2f} s, call list ready at {round_seconds:.2f} s"
            )

            answering = rng.sample(numbers, min(args.responses, len(numbers)))
            answers = [
                {**{f"q{i}": rng.choice((2, 3, 4, 4, 5)) for i in range(1, 10)}, "recommend": rng.random() < 0.8}
                for _ in answering
            ]
            before = office.recorder.max_notification_id() or 0
            clock.now = START + timedelta(hours=1)
            started = time.perf_counter()
            for number, given in zip(answering, answers, strict=True):
                office.record_response(sid, number, answers=given, line="fixed", by="z.rahimi")
            elapsed = time.perf_counter() - started
            responses_per_s = len(answering) / elapsed
            answers_per_s = responses_per_s * len(QUESTIONS)
            print(f"{len(answering)} responses ({len(answering) * len(QUESTIONS)} answers) in {elapsed:.2f} s")

            started = time.perf_counter()
            index.catch_up()
            indexed = time.perf_counter() - started
            read_model_per_s = len(answering) * len(QUESTIONS) / indexed
            print(f"index (responses read model, call list) caught up in {indexed:.2f} s")

            rows = stored_rows(office, before)
            raw = sqlite_raw(Path(tmp), rows)
            events_per_s = len(rows) / elapsed
            ratio = events_per_s / raw
            print(f"{len(rows)} events stored for them ({len(rows) / len(answering):.1f} per response)")

            clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday after closing: the week is over
            started = time.perf_counter()
            summary = office.record_weekly_summary(sid)
            summary_seconds = time.perf_counter() - started
            assert summary is not None and summary["responses"] == len(answering), summary
        finally:
            office.close()
    print(C.result_line("round start + call list (s)", round_seconds, "s", "< 30", round_seconds < 30))
    print(C.result_line("answers recorded/s", answers_per_s, "answers/s", ">= 2000", answers_per_s >= 2000))
    print(
        C.result_line("answers into read model/s", read_model_per_s, "answers/s", ">= 2000", read_model_per_s >= 2000)
    )
    print(C.result_line("events/s ÷ raw inserts/s", ratio, "ratio", "-", None))
    print(C.result_line("raw inserts/s (baseline)", raw, "rows/s", "-", None))
    print(C.result_line("weekly summary (s)", summary_seconds, "s", "< 2", summary_seconds < 2))


if __name__ == "__main__":
    main()
