"""A periodic survey round at the scale of the biggest chamber: 30,000 members, 10 questions each.

On the embedded default store (SQLite files under a temporary data directory) it
1. plans a round, sets its timing, records the questions meeting and starts it over 30,000 active members, then
   brings the index (the experts' call list, one row per member) up to date: seconds (target: under 30 s);
2. records answers through `SurveyOffice.record_response`, as the API does for each answer by phone (load the
   survey and the member's contact, check the member is asked, record the answers, save): answers/s, one answer
   per question answered, 10 per response (target: >= 2,000 answers/s);
3. brings the index (the responses read model that scores, trends and reports read) up to date with those
   answers: answers/s into the read model;
4. measures a BASELINE in the same run: raw inserts of the very rows the store stored for those responses, in the
   same transactions (one per response), into a fresh SQLite file in the same directory (WAL, `synchronous` left
   at its default, as eventsourcing's recorder leaves it), taking turns with the answers a chunk at a time so that
   both see the machine in the same state; prints the ratio responses/s ÷ raw transactions/s;
5. imports an external survey service's CSV export of other members' answers (`--imported`, default 10,000
   responses, 100,000 answers) through the import the API runs, then brings the read model up to date: answers/s
   of each (target: >= 2,000 answers/s);
6. records the weekly summary of the round (thresholds evaluated, figures computed from the read model): seconds
   (target: under 2 s).

    .venv/bin/python bench/surveys.py [--members 30000] [--responses 3000] [--imported 10000]

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

from services.surveys.imports import import_csv  # noqa: E402
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


class RawInserts:
    """The baseline: the very rows the store stored, under fresh ids, into a fresh SQLite file in the same directory
    (WAL, `synchronous` left at its default), in the same transactions (one per response, as the store wrote them)."""

    def __init__(self, directory: Path):
        self.path = directory / f"raw-{uuid.uuid4().hex[:8]}.db"
        self.con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute(
            "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        self.transactions = 0
        self.seconds = 0.0

    def insert(self, rows: list[tuple]) -> None:
        groups: dict = {}
        for oid, v, t, state in rows:  # the rows of one aggregate's save: one transaction
            groups.setdefault(oid, []).append((v, t, state))
        params = [
            [(new.hex, v, t, state) for v, t, state in group]
            for new, group in ((uuid.uuid4(), g) for g in groups.values())
        ]
        cur = self.con.cursor()
        started = time.perf_counter()
        for group in params:
            cur.execute("BEGIN")
            cur.executemany("INSERT INTO raw_events VALUES (?,?,?,?)", group)
            self.con.commit()
        self.seconds += time.perf_counter() - started
        self.transactions += len(params)

    def close(self) -> None:
        self.con.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


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
    parser.add_argument("--imported", type=int, default=10_000, help="responses in the imported CSV export")
    parser.add_argument("--chunk", type=int, default=250, help="responses between two turns of raw inserts")
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
            # Answers and raw inserts take turns, a chunk each, so that both see the machine in the same state.
            raw = RawInserts(Path(tmp))
            clock.now = START + timedelta(hours=1)
            elapsed, events, position = 0.0, 0, office.recorder.max_notification_id() or 0
            pairs = list(zip(answering, answers, strict=True))
            for first in range(0, len(pairs), args.chunk):
                started = time.perf_counter()
                for number, given in pairs[first : first + args.chunk]:
                    office.record_response(sid, number, answers=given, line="fixed", by="z.rahimi")
                elapsed += time.perf_counter() - started
                rows = stored_rows(office, position)
                position = office.recorder.max_notification_id() or position
                events += len(rows)
                raw.insert(rows)
            raw.close()
            responses_per_s = len(answering) / elapsed
            answers_per_s = responses_per_s * len(QUESTIONS)
            raw_per_s = raw.transactions / raw.seconds
            ratio = responses_per_s / raw_per_s
            print(f"{len(answering)} responses ({len(answering) * len(QUESTIONS)} answers) in {elapsed:.2f} s")
            print(f"{events} events stored for them ({events / len(answering):.1f} per response, one transaction)")

            started = time.perf_counter()
            index.catch_up()
            indexed = time.perf_counter() - started
            read_model_per_s = len(answering) * len(QUESTIONS) / indexed
            print(f"index (responses read model, call list) caught up in {indexed:.2f} s")

            # An external survey service's export of other members' answers, through the CSV import.
            answered = set(answering)
            exported = [n for n in numbers if n not in answered][: args.imported]
            header = "member," + ",".join(q["key"] for q in QUESTIONS)
            lines = [header] + [
                n + "," + ",".join(str(rng.choice((2, 3, 4, 4, 5))) for _ in range(9)) + "," + rng.choice(("yes", "no"))
                for n in exported
            ]
            started = time.perf_counter()
            result = import_csv(
                office,
                str(sid),
                "\n".join(lines),
                member_column="member",
                columns={q["key"]: q["key"] for q in QUESTIONS},
                by="m.karimi",
            )
            imported_seconds = time.perf_counter() - started
            assert result["imported"] == len(exported), result["skipped"][:3]
            imported_per_s = len(exported) * len(QUESTIONS) / imported_seconds
            started = time.perf_counter()
            index.catch_up()
            imported_indexed = len(exported) * len(QUESTIONS) / (time.perf_counter() - started)
            print(f"{len(exported)} imported responses in {imported_seconds:.2f} s")

            clock.now = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)  # Thursday after closing: the week is over
            started = time.perf_counter()
            summary = office.record_weekly_summary(sid)
            summary_seconds = time.perf_counter() - started
            assert summary is not None and summary["responses"] == len(answering) + len(exported), summary
        finally:
            office.close()
    print(C.result_line("round start + call list (s)", round_seconds, "s", "< 30", round_seconds < 30))
    print(C.result_line("answers recorded/s", answers_per_s, "answers/s", ">= 2000", answers_per_s >= 2000))
    print(
        C.result_line("answers into read model/s", read_model_per_s, "answers/s", ">= 2000", read_model_per_s >= 2000)
    )
    print(C.result_line("answers imported (CSV)/s", imported_per_s, "answers/s", ">= 2000", imported_per_s >= 2000))
    print(
        C.result_line(
            "imported answers into read model/s", imported_indexed, "answers/s", ">= 2000", imported_indexed >= 2000
        )
    )
    print(C.result_line("responses/s ÷ raw transactions/s", ratio, "ratio", "-", None))
    print(C.result_line("raw transactions/s (baseline)", raw_per_s, "tx/s", "-", None))
    print(C.result_line("weekly summary (s)", summary_seconds, "s", "< 2", summary_seconds < 2))


if __name__ == "__main__":
    main()
