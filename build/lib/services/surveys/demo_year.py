"""A demo survey for `crm demo`: the member-services unit's satisfaction survey of this year (form
ME-FR-02-01-01), requested, approved, asked of the demo's members, answered by some and closed, through the same
commands the API uses, so the plan's "number of surveys" (F.2.1.1) counts it."""

from __future__ import annotations

import random
import sys
import uuid
from datetime import datetime, timedelta

from services.surveys.main import build_office
from shared.clock import Clock
from shared.problems import DomainError
from shared.settings import Settings

QUESTIONS = [
    {"key": "overall", "text": {"fa": "رضایت کلی", "tr": "Genel memnuniyet"}, "dissatisfaction_signal": True},
    {"key": "recommend", "kind": "yes_no", "text": {"fa": "آیا اتاق را توصیه می‌کنید؟", "tr": "Tavsiye eder misiniz?"}},
]


def load_survey(
    settings: Settings, members: list[str], *, seed: int, now: datetime, out=sys.stdout
) -> uuid.UUID | None:
    """Run the year's survey with up to 20 of `members`; None when this seed's survey is there already."""
    rng = random.Random(seed)
    moments = iter([now - timedelta(days=10, hours=h) for h in range(8, 0, -1)] + [now - timedelta(days=2)])
    current = {"now": next(moments)}
    clock: Clock = lambda: current["now"]  # noqa: E731 - the demo's steps, each a little later
    office = build_office(settings, clock)
    try:
        try:
            qid = office.create_questionnaire(
                code=f"demo-satisfaction-{seed}", title="Member satisfaction", questions=QUESTIONS, by="m.karimi"
            )
        except DomainError:
            print("demo: the survey of this seed is loaded already", file=out)
            return None
        sid = office.request_project_survey(
            subject="Member satisfaction and expectations", unit="member_services", questionnaire=qid, by="t.heidari"
        )
        for step in (
            lambda: office.approve_survey(sid, by="a.sharifi"),
            lambda: office.supply_members(sid, numbers=members[:20], by="t.heidari"),
            lambda: office.approve_members(sid, by="m.karimi"),
            lambda: office.start_survey(sid, by="m.karimi"),
        ):
            current["now"] = next(moments)
            step()
        for number in members[:12]:
            office.record_response(
                sid,
                number,
                answers={"overall": rng.randint(3, 5), "recommend": rng.random() < 0.8},
                channel="website",
                by=None,
            )
        current["now"] = next(moments)
        office.close_survey(sid, by="m.karimi")
    finally:
        office.close()
    print(f"demo: the member satisfaction survey asked {min(20, len(members))} members and closed", file=out)
    return sid
