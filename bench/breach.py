"""Breach latency: from a callback deadline passing (by the injected clock) to the breach event stored.

Registers N abandoned calls (queued + abandoned, through `CallCentre.ingest_batch`) spread over a working day, feeds
their events to a `ReportingEngine` (SQLite read model and reporting event store in a temporary folder, as the
processor holds them), then runs the processor's `DeadlineTimer` against an injected clock set one second before the
first deadline: the calls were registered `--span` seconds apart in all, so their N deadlines pass within about
`--span` real seconds. For each breach: the real time
from the moment the clock passed its deadline to the moment the engine's tick that recorded it returned (the
breach event committed in the reporting store, from where the relay publishes it). Target: p99 <= 1 s.

The BASELINE, in the same run on the same calls: the former way, a check every `--poll` seconds (5, the old
default of CRM_PROCESSOR_TICK_SECONDS) that does not know the deadlines.

    .venv/bin/python bench/breach.py [--calls 200] [--span 15] [--poll 5]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import _common as C  # noqa: I001 - puts the project on sys.path

from services.calls.application import CallCentre  # noqa: E402
from services.calls.telephony import CallEventIn  # noqa: E402
from services.reporting.deadlines import DeadlineTimer  # noqa: E402
from services.reporting.engine import ReportingEngine  # noqa: E402
from services.reporting.oversight import Oversight  # noqa: E402
from services.reporting.projections import EscalationRule  # noqa: E402
from services.reporting.readmodel import ReadModel  # noqa: E402
from shared.envelope import from_kafka  # noqa: E402
from shared.eventstore import store_env  # noqa: E402
from shared.organisation import Organisation  # noqa: E402
from shared.relay import EnvelopeMapper  # noqa: E402
from shared.settings import Settings  # noqa: E402

TEHRAN = ZoneInfo("Asia/Tehran")


class OffsetClock:
    """The injected clock: shows `start` now and runs at the pace of real time (the deadline timer sleeps in real
    seconds), so that the deadlines of the next working day pass within the run."""

    def __init__(self, start: datetime):
        self.start, self.t0 = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)

    def real_time_of(self, at: datetime) -> float:
        """The monotonic time at which this clock shows `at`."""
        return self.t0 + (at - self.start).total_seconds()


def prepare(folder: Path, calls: int, span: float) -> tuple[ReportingEngine, Oversight, list[datetime]]:
    settings = Settings(data_dir=folder)
    organisation = Organisation.load(settings.organisation_file)
    calendar = settings.business_calendar
    day = datetime(2026, 11, 21, 8, 0, tzinfo=TEHRAN)  # a Saturday, a working day
    clock_now = {"t": day}
    centre = CallCentre(
        store_env(settings, "calls"), organisation=organisation, calendar=calendar, clock=lambda: clock_now["t"]
    )
    events = []
    for i in range(calls):
        at = day + timedelta(seconds=span * i / calls)  # deadlines as far apart (in working time) as these
        queue = list(C.UNIT_QUEUES.values())[i % len(C.UNIT_QUEUES)]
        events += [
            CallEventIn.model_validate(p).to_event() for p in C.abandoned_call(f"breach-{i}", at, queue, "09131234567")
        ]
    clock_now["t"] = day + timedelta(hours=8)
    results = centre.ingest_batch(events)
    assert all(r.status == "applied" for r in results), {r.status for r in results}
    oversight = Oversight(store_env(settings, "reporting"))
    engine = ReportingEngine(
        ReadModel(f"sqlite:///{folder}/readmodel.db", calendar),
        oversight,
        organisation,
        calendar,
        EscalationRule(10_000, timedelta(days=7)),  # no escalations: only breaches are measured
        lambda: clock_now["t"],
    )
    mapper = EnvelopeMapper(centre)
    position = 0
    while True:
        batch = centre.recorder.select_notifications(position, 1000, inclusive_of_start=False)
        if not batch:
            break
        envelopes = [mapper(n) for n in batch]
        engine.handle([from_kafka(e.headers(), e.value()) for e in envelopes])
        position = batch[-1].id
    centre.close()
    dues = sorted(item["callback_due"] for item in engine.readmodel.unanswered_items())
    return engine, oversight, dues


def measure(engine: ReportingEngine, dues: list[datetime], span: float, poll: float | None) -> list[float]:
    """Real seconds from each deadline passing to its breach stored. `poll`: check every `poll` s, blind to deadlines."""
    clock = OffsetClock(dues[0] - timedelta(seconds=1.0))
    engine.clock = clock
    seen: dict[str, float] = {}
    due_of = {item["call_id"]: item["callback_due"] for item in engine.readmodel.unanswered_items()}
    stop = asyncio.Event()

    async def fire() -> bool:
        await asyncio.to_thread(engine.tick)
        done = time.monotonic()
        for call_id in list(engine._breached):  # noqa: SLF001 - what this tick recorded
            seen.setdefault(call_id, done)
        if len(seen) >= len(dues):
            stop.set()
        return True

    async def next_deadline():
        return None if poll else await asyncio.to_thread(engine.next_deadline)

    timer = DeadlineTimer(next_deadline, fire, clock, longest=poll or 5.0)

    async def run() -> None:
        task = asyncio.create_task(timer.run(stop))
        deadline = time.monotonic() + span + 3 * (poll or 5.0) + 30
        while not stop.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        stop.set()
        timer.rearm()
        await task

    asyncio.run(run())
    return [seen[cid] - clock.real_time_of(due_of[cid]) for cid in seen]


def summary(name: str, lat: list[float], calls: int) -> dict:
    return {
        "name": name,
        "n": len(lat),
        "missing": calls - len(lat),
        "p50": C.percentile(lat, 50),
        "p99": C.percentile(lat, 99),
        "max": max(lat) if lat else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--span", type=float, default=15.0, help="real seconds over which the deadlines pass")
    parser.add_argument("--poll", type=float, default=5.0, help="the baseline's check interval in seconds")
    args = parser.parse_args()
    rows = []
    for name, poll in (("scheduled", None), (f"poll every {args.poll:g} s", args.poll)):
        with tempfile.TemporaryDirectory(prefix="crm-bench-breach-") as tmp:
            engine, _, dues = prepare(Path(tmp), args.calls, args.span)
            lat = measure(engine, dues, args.span, poll)
            rows.append(summary(name, lat, args.calls))
    print(f"breach: {args.calls} callback deadlines passing within ~{args.span:g} s of real time (injected clock)")
    print(f"{'way':<18}{'breaches':>9}{'missing':>8}{'p50 s':>9}{'p99 s':>9}{'max s':>9}")
    for r in rows:
        print(f"{r['name']:<18}{r['n']:>9}{r['missing']:>8}{r['p50']:>9.3f}{r['p99']:>9.3f}{r['max']:>9.3f}")
    sched, polled = rows
    ok = sched["missing"] == 0 and sched["p99"] <= 1.0
    print(C.result_line("breach latency p99 (scheduled)", sched["p99"], "s", "<= 1 s", ok))
    print(C.result_line(f"breach latency p99 (baseline: {polled['name']})", polled["p99"], "s", "-", None))


if __name__ == "__main__":
    main()
