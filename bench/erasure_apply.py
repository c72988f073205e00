"""What the reporting read model's memory of erasures costs its apply: CPU per call event.

Records N unanswered calls (default 1,500: received, not answered by the unit, transferred, registered; 5 events
each) through the calls application, maps them as the relay publishes them, and applies them to a fresh read model
in batches of 500, three times each: with no erasure applied before, and with a member's erasure applied before
(every later batch then looks up whom erasures reached, services/reporting/erasure.py `redact_late`). Prints the
best of three, in µs of CPU per event. Compare two checkouts with CRM_BENCH_CODE=<the other checkout>.

    .venv/bin/python bench/erasure_apply.py [--calls 1500]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime

import _common as C  # noqa: I001 - puts the project on sys.path

from services.calls.application import CallCentre  # noqa: E402
from services.calls.domain import Direction  # noqa: E402
from services.reporting.readmodel import ReadModel  # noqa: E402
from shared.calendar import BusinessCalendar  # noqa: E402
from shared.envelope import CloudEvent  # noqa: E402
from shared.relay import EnvelopeMapper  # noqa: E402
from shared.settings import Settings  # noqa: E402

AT = "2026-11-21T07:00:00+00:00"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500)
    args = parser.parse_args()
    settings = Settings(data_dir=tempfile.mkdtemp())
    centre = CallCentre(organisation=settings.organisation, calendar=settings.business_calendar)
    for i in range(args.calls):
        call = centre.receive_call(direction=Direction.INCOMING, caller=f"0913{i:07d}", unit="trade")
        centre.record_unit_not_answered(call)
        centre.transfer_to_member_relations(call)
        centre.register_unanswered(call, by="z.rahimi", subject="fees", contact_name="x", contact_phone=None)
    mapper = EnvelopeMapper(centre)
    events = [mapper(n) for n in centre.recorder.select_notifications(1, 10_000_000)]
    erasure = CloudEvent(
        id="erasure-1",
        source="/crm/members",
        type="crm.members.member.erased.v1",
        time=AT,
        subject="a6f3b0f2-51c4-4f0e-8b8e-3b9a9d6c2e71",
        sequence=2,
        position=1,
        data={"reason": "request", "by": "ops", "at": AT},
    )
    for label, first in (("no erasure before", []), ("one erasure before", [erasure])):
        runs = []
        for _ in range(3):
            model = ReadModel(
                f"sqlite:///{tempfile.mkdtemp()}/rm.db", BusinessCalendar(settings.business_calendar.config)
            )
            if first:
                model.apply(first, datetime.now(UTC))
            started = time.process_time()
            for k in range(0, len(events), 500):
                model.apply(events[k : k + 500], datetime.now(UTC))
            runs.append((time.process_time() - started) / len(events) * 1e6)
        print(f"{C.ROOT.name}: {label}: {min(runs):.1f} µs CPU/event (best of 3, {len(events)} events, batches of 500)")


if __name__ == "__main__":
    main()
