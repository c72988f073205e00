"""`crm demo` for the desks: a month of desks at every step and two sessions, loaded through the office's own
commands with the members of the members demo; loading again changes nothing."""

from __future__ import annotations

import io

from services.demo import desk_members
from services.desks.demo import load_desks
from services.desks.main import build_office
from services.members.demo import demo_rows


def test_the_demo_leaves_desks_and_sessions_at_every_step(settings):
    members = desk_members(demo_rows(40, 7, settings.chamber))
    assert members and all(m["language"] in (None, "fa", "tr", "en") for m in members)
    out = io.StringIO()
    assert load_desks(settings, members, out=out) == 0
    assert "5 desks and 2 sessions" in out.getvalue()
    office = build_office(settings)
    try:
        desks = {d.agency: d for d in office.desks()}
        assert {a: d.stage for a, d in desks.items()} == {
            "customs": "closed",
            "tax": "archived",
            "taaziraat": "minutes_sent",
            "agriculture": "announced",
            "industry_mine_trade": "planning",
        }
        customs = desks["customs"]
        forms = customs.forms.values()
        assert sum(f["state"] == "cancelled" for f in forms) == 1 and sum(f["state"] == "guided" for f in forms) == 1
        # five slots, one no-show: four decisions followed up, one not carried out (a corrective action)
        assert sorted(f["follow_up"]["carried_out"] for f in customs.decided()) == [False, True, True, True]
        assert any(f["follow_up_missed"] for f in desks["tax"].decided())  # the breaches of the partly missed desk
        assert len(desks["agriculture"].waiting) == 0 and len(desks["agriculture"].scheduled()) == 5
        assert desks["agriculture"].member_announcements[0]["recipients"] == min(40, len(members))
        held, invited = office.sessions()
        assert held.stage == "archived" and invited.stage == "invited"
        assert [d["done"] is not None for d in held.decisions.values()] == [True, False]
        assert any(d["overdue_recorded"] for d in held.decisions.values())
        before = office.recorder.max_notification_id()
    finally:
        office.close()
    again = io.StringIO()
    assert load_desks(settings, members, out=again) == 0
    assert "already loaded" in again.getvalue()
    office = build_office(settings)
    try:
        assert office.recorder.max_notification_id() == before
    finally:
        office.close()
