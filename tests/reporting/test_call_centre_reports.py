"""The call centre's weekly and monthly reports: when the injected clock passes the end of a week (Saturday to
Friday) or of a Solar Hijri month in Tehran, the processor records the period's figures once, and the notifications
service mails them to the SG and the president of the organisation file in their language; the same boundary met
again (another tick, a restarted processor, the event read twice) sends nothing more."""

from __future__ import annotations

from datetime import date

import pytest

from services.notifications.application import Notifier
from services.reporting import call_periods
from services.reporting.engine import ReportingEngine
from shared.calendar import IRAN, TURKEY, BusinessCalendar
from tests.notifications.helpers import Recorder
from tests.reporting.test_engine import ORGANISATION, RULE, abandoned, oversight_events, tehran


def test_the_chamber_s_weeks_and_months() -> None:
    iran, turkey = BusinessCalendar(IRAN), BusinessCalendar(TURKEY)
    # Saturday 21 November 2026 is 30 Aban 1405, the last day of the Solar Hijri month
    assert call_periods.bounds("week", date(2026, 11, 24), iran) == (date(2026, 11, 21), date(2026, 11, 28))
    assert call_periods.bounds("month", date(2026, 11, 21), iran) == (date(2026, 10, 23), date(2026, 11, 22))
    assert call_periods.bounds("week", date(2026, 11, 24), turkey) == (date(2026, 11, 23), date(2026, 11, 30))
    assert call_periods.bounds("month", date(2026, 11, 24), turkey) == (date(2026, 11, 1), date(2026, 12, 1))
    # Just after midnight in Tehran (still the evening before in UTC) the month has closed
    assert call_periods.last_closed("month", tehran(2026, 11, 22, 0, 5), iran)[0] == date(2026, 10, 23)
    assert call_periods.last_closed("month", tehran(2026, 11, 21, 23, 55), iran)[0] == date(2026, 9, 23)


@pytest.fixture
def mail() -> Recorder:
    return Recorder()


@pytest.fixture
def notifier(settings, clock, mail) -> Notifier:
    return Notifier(
        organisation=settings.organisation,
        calendar=settings.business_calendar,
        clock=clock,
        channels={"email": mail, "sms": Recorder()},
    )


def test_the_week_and_the_month_close_once_and_the_sg_and_the_president_are_mailed(
    centre,
    feed,
    engine,
    oversight,
    readmodel,
    calendar,
    clock,
    notifier,
    mail,
) -> None:
    abandoned(centre, tehran(2026, 11, 21, 10, 31))  # Saturday, 30 Aban 1405
    abandoned(centre, tehran(2026, 11, 24, 9, 0), queue="601")  # Tuesday, 3 Azar
    feed()

    assert engine.tick(tehran(2026, 11, 21, 23, 59))["reports"] == 0  # the weeks and months before had no calls
    assert engine.tick(tehran(2026, 11, 22, 0, 0))["reports"] == 1  # Aban has closed
    (month,) = oversight_events(oversight, "call_centre_report.produced")
    assert (month.data["period"], month.data["first_day"], month.data["last_day"]) == (
        "month",
        "2026-10-23",
        "2026-11-21",
    )
    assert (month.data["first_day_local"], month.data["last_day_local"]) == ("1405/08/01", "1405/08/30")
    assert month.data["figures"]["offered"] == 1 and month.data["figures"]["abandoned"] == 1

    assert engine.tick(tehran(2026, 11, 27, 23, 59))["reports"] == 0
    assert engine.tick(tehran(2026, 11, 28, 0, 0))["reports"] == 1  # the week Saturday 21 – Friday 27 has closed
    week = oversight_events(oversight, "call_centre_report.produced")[-1]
    assert (week.data["period"], week.data["first_day"], week.data["last_day"]) == ("week", "2026-11-21", "2026-11-27")
    assert week.data["figures"]["offered"] == 2
    assert {u["unit"]: u["offered"] for u in week.data["units"]} == {"trade": 1, "membership": 1}
    assert week.data["link"] == "/reports/calls/stats?period=week&day=2026-11-21"

    # The same boundary again: the next tick, and a processor started afresh over the same store
    assert engine.tick(tehran(2026, 11, 28, 0, 5))["reports"] == 0
    restarted = ReportingEngine(readmodel, oversight, ORGANISATION, calendar, RULE, clock)
    assert restarted.tick(tehran(2026, 11, 28, 0, 10))["reports"] == 0
    reports = oversight_events(oversight, "call_centre_report.produced")
    assert len(reports) == 2

    # One message each to the SG and the president (role sg / president in the organisation file), once
    assert notifier.take(reports) == 4
    assert notifier.take(reports) == 0
    assert notifier.dispatch()["delivered"] == 4
    assert sorted(m.to for m in mail.sent) == [
        "president@example.org",
        "president@example.org",
        "sg@example.org",
        "sg@example.org",
    ]
    weekly = next(m for m in mail.sent if m.to == "sg@example.org" and "هفته" in m.subject)
    assert "1405/08/30 تا 1405/09/06" in weekly.subject and "2 تماس" in weekly.subject
    assert "رهاشده: 2" in weekly.body and "trade: 1 / 0 / 1" in weekly.body
    assert "/reports/calls/stats?period=week&day=2026-11-21" in weekly.body
    assert notifier.dispatch()["delivered"] == 0
