"""`crm demo` moves the plan: the strategic plan and its risk register are loaded, and the events the demo's
survey, improvements and specialised session store in their own services, once published, give the CRM-measured
activities actuals and a projection to year end; running the demo again adds nothing."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema

from services.actions.main import build_register
from services.demo import load_plan_year
from services.desks.main import build_office as build_desks
from services.members.demo import demo_rows
from services.plan.main import build_index, build_office, load_settings_signals
from services.plan.reports import progress_report
from services.plan.watch import SignalWatch
from services.surveys.main import build_office as build_surveys
from shared.contracts import load_schemas
from shared.relay import EnvelopeMapper


def published(settings) -> list:
    """Every event the surveys, actions and desks stores hold, as their relays publish them."""
    events = []
    for build in (build_surveys, build_register, build_desks):
        app = build(settings)
        try:
            mapper = EnvelopeMapper(app)
            events += [mapper(n) for n in app.recorder.select_notifications(0, 100_000, inclusive_of_start=False)]
        finally:
            app.close()
    return events


def test_the_demo_gives_the_crm_measured_activities_actuals_and_a_projection(settings):
    now = datetime.now(UTC)
    rows = demo_rows(40, 7, settings.chamber)
    out = io.StringIO()
    load_plan_year(settings, rows, seed=7, now=now, out=out)
    office = build_office(settings, lambda: now)
    try:
        index = build_index(settings, office)
        events = published(settings)
        assert index.apply_events(events) == 4  # one survey closed, two improvements, one session's minutes
        by_activity = {r["activity"]: r for r in progress_report(office, index, now.year)["activities"]}
        year_actuals = {key: sum(months.values()) for key, months in index.actuals(now.year).items()}
        # The session is held three working days ago: in January that may be last year's December.
        session_year = next(e for e in events if e.type == "crm.desks.session.minutes_archived.v1").time[:4]
        assert sum(index.actuals(int(session_year)).get("F.2.2.1", {}).values()) == 1
        assert (year_actuals["F.2.1.1"], year_actuals["F.2.1.2"]) == (1, 2)
        assert year_actuals["F.2.1.3"] >= 9 * now.month  # the visits entered by hand, each month so far
        for key in ("F.2.1.1", "F.2.1.2", "F.2.1.3"):
            assert by_activity[key]["actual"] > 0 and by_activity[key]["projection"] >= by_activity[key]["actual"]
            assert by_activity[key]["status"] in ("on track", "at risk", "off track")
        assert len(office.risks.register_as_of()) == 6
        # Again: the same plan, the same risks, the same survey and session, nothing more to count.
        load_plan_year(settings, rows, seed=7, now=now, out=out)
        assert index.apply_events(published(settings)) == 0
        assert [v["number"] for v in office.versions()] == [1]
    finally:
        office.close()


def test_every_event_the_plan_stores_validates_against_its_published_schema(settings):
    """The demo's plan, risks and visits, then spending, signals' reviews and the yearly revision: each stored event,
    as the relay publishes it, is valid against its schema under contracts/plan."""
    now = datetime.now(UTC)
    load_plan_year(settings, demo_rows(40, 7, settings.chamber), seed=7, now=now, out=io.StringIO())
    office = build_office(settings, lambda: now)
    try:
        index = build_index(settings, office)
        office.record_spending("F.2.1.1", f"{now.year}-01", 450, "MHS-1", "printing", by="sg")
        office.record_spending("F.2.1.1", f"{now.year}-02", 480, "MHS-1", None, by="sg")
        SignalWatch(office, index, load_settings_signals(settings)).evaluate()
        risk = next(r for r in office.risks.register_as_of() if r["review_due"])
        office.risks.review_risk(risk["id"], "measures hold", by="sg")
        office.revision_tick()
        office.complete_revision(now.year, "SWOT done", by="sg")
        mapper = EnvelopeMapper(office)
        events = [mapper(n) for n in office.recorder.select_notifications(0, 100_000, inclusive_of_start=False)]
    finally:
        office.close()
    schemas = load_schemas(Path(__file__).resolve().parents[2] / "contracts")
    types = {e.type for e in events}
    assert {
        "crm.plan.spending.recorded.v1",
        "crm.plan.spending.corrected.v1",
        "crm.plan.risk.review_prompted.v1",
        "crm.plan.risk.reviewed.v1",
        "crm.plan.revision.opened.v1",
        "crm.plan.revision.completed.v1",
        "crm.plan.manual_actual.entered.v1",
    } <= types
    for e in events:
        jsonschema.validate(json.loads(e.value()), schemas[e.type])
