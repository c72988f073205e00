"""`crm demo`'s surveys: a periodic survey with two closed rounds and one running, and a project survey, answered
over every channel, with the complaints low scores open, so that every report and chart has data."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from services.surveys.demo import load_surveys
from services.surveys.domain import round_id
from services.surveys.main import build_office

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)  # a Sunday morning in Tehran


def test_the_demo_loads_three_rounds_and_a_project_survey_with_answers_and_complaints(settings):
    members = [f"1405{i:05d}" for i in range(1, 121)]
    out = io.StringIO()
    assert load_surveys(settings, members=members, out=out, now=NOW) == 0
    office = build_office(settings)
    try:
        rounds = [office.survey(round_id(p)) for p in ("2025-H2", "2026-H1", "2026-H2")]
        assert [r["stage"] for r in rounds] == ["closed", "closed", "running"]
        assert all(r["members_asked"] == 120 for r in rounds)
        trend = office.trend(round_id("2026-H2"))
        assert [t["period"] for t in trend] == ["2025-H2", "2026-H1", "2026-H2"]
        assert all(t["responses"] >= 50 and t["overall"] is not None for t in trend)
        # The second round's information question is under 70%: its close opened a complaint for it.
        assert trend[1]["questions"]["information"] < 70
        refs = {c["source_ref"] for c in office.complaint_log(str(round_id("2026-H1")))}
        assert f"surveys:{round_id('2026-H1')}:question:information:below_threshold" in refs
        assert office.summaries(round_id("2026-H2"))  # the running round's weekly summaries
        channels = {r["channel"] for r in office.responses(str(round_id("2026-H2")))}
        assert channels == {"phone", "link", "website", "import"}
        project = next(s for s in office._all_surveys() if s["kind"] == "project")
        assert project["stage"] == "running"
        assert any(":member:" in c["source_ref"] for c in office.complaint_log(project["id"]))
        # Some members were not reached after every attempt the policy allows, from its lines.
        statuses = {office.contact(round_id("2026-H2"), n)["status"] for n in members}
        assert {"responded", "not_reached", "pending"} <= statuses
    finally:
        office.close()
    assert "demo surveys:" in out.getvalue()
    again = io.StringIO()
    assert load_surveys(settings, members=members, out=again, now=NOW) == 0
    assert "already loaded" in again.getvalue()
