"""Read-side shapes of a desk: what the API returns and the final list, reminder list and reports read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.desks.domain import CHECKLIST_FORM, PLAN_FORM, PROBLEM_FORM, Desk, FormState, Route
from services.desks.sessions import Session


def form_record(desk: Desk, form: dict[str, Any], now: datetime) -> dict[str, Any]:
    slot = form["slot"]
    return {
        "form": PROBLEM_FORM,
        **{k: v for k, v in form.items() if k != "reminders"},
        "reminders": [dict(r) for r in form["reminders"]],
        "slot_start": None if slot is None else desk.slot_start(slot),
        "slot_end": None if slot is None else desk.slot_end(slot),
        "waiting_position": desk.waiting.index(form["number"]) + 1 if form["number"] in desk.waiting else None,
        "follow_up_overdue": desk.follow_up_missed(form, now),
    }


def desk_summary(desk: Desk) -> dict[str, Any]:
    forms = list(desk.forms.values())
    return {
        "id": str(desk.id),
        "version": desk.version,
        "agency": desk.agency,
        "starts_at": desk.starts_at,
        "desk_day": desk.desk_day,
        "place": desk.place,
        "format": desk.format,
        "capacity": desk.capacity,
        "stage": desk.stage,
        "scheduled": sum(f["state"] == FormState.SCHEDULED for f in forms),
        "waiting": len(desk.waiting),
    }


def desk_record(desk: Desk, now: datetime) -> dict[str, Any]:
    return {
        **desk_summary(desk),
        "equipment": list(desk.equipment),
        "slot_minutes": desk.slot_minutes,
        "reminder_day": desk.reminder_day,
        "follow_up_due_at": desk.follow_up_due_at,
        "planned_by": desk.planned_by,
        "planning_form": {
            "form": PLAN_FORM,
            "approved_by": desk.plan_approved_by,
            "approved_at": desk.plan_approved_at,
        },
        "coordinations": [dict(c) for c in desk.coordinations],
        "announcements": {r.value: desk.announcements.get(r.value) for r in Route},
        "member_announcements": [dict(a) for a in desk.member_announcements],
        "catering": desk.catering,
        "forms": [form_record(desk, f, now) for f in desk.forms.values()],
        "waiting_list": list(desk.waiting),
        "minutes": {step: desk.minutes.get(step) for step in ("reviewed", "sent", "archived")},
        "checklist": None if desk.checklist is None else {**desk.checklist, "form": CHECKLIST_FORM},
    }


def final_list(desk: Desk) -> list[dict[str, Any]]:
    """The list for the agency's representative: members, companies, times, documents, slot by slot."""
    return [
        {
            "slot": f["slot"] + 1,
            "starts_at": desk.slot_start(f["slot"]),
            "ends_at": desk.slot_end(f["slot"]),
            "form": f["number"],
            "member_name": f["member_name"],
            "company": f["company"],
            "problem": f["problem"],
            "documents": list(f["documents"]),
        }
        for f in desk.scheduled()
    ]


def reminder_list(desk: Desk) -> list[dict[str, Any]]:
    """The expert's task list the working day before: every member with a slot, whether reached already."""
    return [
        {
            "form": f["number"],
            "member_name": f["member_name"],
            "phone": f["phone"],
            "starts_at": desk.slot_start(f["slot"]),
            "calls": len(f["reminders"]),
            "reached": any(r["reached"] for r in f["reminders"]),
        }
        for f in desk.scheduled()
    ]


def session_record(session: Session, now: datetime) -> dict[str, Any]:
    invited = session.invitee_ids()
    attended = session.attended or []
    return {
        "id": str(session.id),
        "version": session.version,
        "trade_group": session.trade_group,
        "starts_at": session.starts_at,
        "place": session.place,
        "topics": list(session.topics),
        "stage": session.stage,
        "selection": session.selection,
        "sg_approval": session.sg_approval,
        "ratification": session.ratification,
        "invitations": session.invited,
        "attended": list(attended),
        "attendance_rate": round(len(attended) / len(invited), 4) if invited and session.attended is not None else None,
        "minutes": session.minutes,
        "problems": [dict(p) for p in session.problems.values()],
        "decisions": [
            {**{k: v for k, v in d.items() if k != "overdue_recorded"}, "overdue": session.decision_overdue(d, now)}
            for d in session.decisions.values()
        ],
        "decisions_done": sum(d["done"] is not None for d in session.decisions.values()),
    }
