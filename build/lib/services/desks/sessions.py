"""Specialised sessions (member communication centre procedure §2-2-4): a monthly meeting on the challenges of a
trade group.

planned (trade group, start, place, topics) → invitees chosen by a saved member selection (its id, criteria and
the member list frozen as it was when taken, so the session can always show whom it invited) → programme
approved by the SG, then ratified by the president → invitations sent → attendance → minutes SE-FR-02-01-01 with
the invitee and attendance lists, archived. Problems raised about the chamber's own services ask for complaints
(the outbox opens them, keyed by session and problem); decisions are tracked with an owner and a due date until
done, and an undone decision past its date is a breach, recorded once.

Event data holds only JSON-native values; rules are checked in the public methods, the @event bodies only set state.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.desks.domain import (
    DESK_NAMESPACE,
    MAX_TEXT,
    TransitionRefused,
    clean_text,
    language_of,
    required_text,
    text_list,
)
from shared.errors import InvalidInput, NotFound

MINUTES_FORM = "SE-FR-02-01-01"
MAX_INVITEES = 2000


class SessionStage(StrEnum):
    PLANNED = "planned"
    INVITEES_SELECTED = "invitees_selected"
    SG_APPROVED = "sg_approved"
    RATIFIED = "ratified"  # by the president: invitations may go out
    INVITED = "invited"
    HELD = "held"  # attendance recorded
    ARCHIVED = "archived"  # minutes archived


def session_id(trade_group: str, starts_at: datetime) -> uuid.UUID:
    return uuid.uuid5(DESK_NAMESPACE, f"session:{trade_group}:{starts_at.isoformat()}")


def _invitee(raw: dict[str, Any]) -> dict[str, Any]:
    member_id = required_text(raw.get("member_id"), "each invitee's member id", 100)
    invitee = {
        "member_id": member_id,
        "name": required_text(raw.get("name"), f"the name of member {member_id}", 200),
        "company": clean_text(raw.get("company")),
    }
    # How the notification channels reach the member, when the selection gives it.
    for key, value in (("phone", clean_text(raw.get("phone"))), ("language", language_of(raw.get("language")))):
        if value is not None:
            invitee[key] = value
    return invitee


class Session(Aggregate):
    @event("Planned")
    def __init__(
        self,
        *,
        trade_group: str,
        starts_at: datetime,
        place: str,
        topics: list[str],
        by: str | None,
        at: datetime,
    ):
        self.trade_group = trade_group
        self.starts_at = starts_at
        self.place = place
        self.topics = topics
        self.planned_by = by
        self.selection: dict[str, Any] | None = None
        self.sg_approval: dict[str, Any] | None = None
        self.ratification: dict[str, Any] | None = None
        self.invited: dict[str, Any] | None = None
        self.attended: list[str] | None = None
        self.minutes: dict[str, Any] | None = None
        self.problems: dict[str, dict[str, Any]] = {}
        self.decisions: dict[str, dict[str, Any]] = {}

    @classmethod
    def create_id(cls, *, trade_group: str, starts_at: datetime, **_: object) -> uuid.UUID:
        return session_id(trade_group, starts_at)

    @classmethod
    def plan(
        cls, *, trade_group: str, starts_at: datetime, place: str, topics: list[str], by: str | None, at: datetime
    ) -> Session:
        if starts_at <= at:
            raise InvalidInput("a session is planned ahead: its start has already passed")
        listed = text_list(topics, "topic")
        if not listed:
            raise InvalidInput("give at least one topic of the programme")
        return cls(
            trade_group=required_text(trade_group, "the trade group", 200),
            starts_at=starts_at,
            place=required_text(place, "the place", 300),
            topics=listed,
            by=by,
            at=at,
        )

    # -- views -------------------------------------------------------------------------------------------------
    @property
    def stage(self) -> str:
        for done, stage in (
            (self.minutes, SessionStage.ARCHIVED),
            (self.attended is not None, SessionStage.HELD),
            (self.invited, SessionStage.INVITED),
            (self.ratification, SessionStage.RATIFIED),
            (self.sg_approval, SessionStage.SG_APPROVED),
            (self.selection, SessionStage.INVITEES_SELECTED),
        ):
            if done:
                return stage.value
        return SessionStage.PLANNED.value

    def invitee_ids(self) -> list[str]:
        return [i["member_id"] for i in (self.selection or {}).get("invitees", [])]

    def decision_overdue(self, decision: dict[str, Any], now: datetime) -> bool:
        return decision["done"] is None and now > decision["due_at"]

    def _require_stage(self, allowed: tuple[SessionStage, ...], doing: str) -> None:
        if self.stage not in allowed:
            names = " or ".join(s.value.replace("_", " ") for s in allowed)
            raise TransitionRefused(
                f"cannot {doing}: the session is {self.stage.replace('_', ' ')}; this needs {names}"
            )

    # -- programme ---------------------------------------------------------------------------------------------
    def select_invitees(
        self,
        *,
        selection_id: str,
        criteria: dict[str, list[str]],
        invitees: list[dict[str, Any]],
        by: str | None,
        at: datetime,
    ) -> None:
        """The members chosen by a saved selection of the member database, frozen as taken; choosing again
        replaces them until the SG approves the programme."""
        self._require_stage((SessionStage.PLANNED, SessionStage.INVITEES_SELECTED), "select the invitees")
        members = [_invitee(i) for i in invitees]
        if not members:
            raise InvalidInput("the selection holds no members to invite")
        if len(members) > MAX_INVITEES:
            raise InvalidInput(f"at most {MAX_INVITEES} invitees")
        if len({m["member_id"] for m in members}) != len(members):
            raise InvalidInput("a member appears twice in the selection")
        known = ("activity", "products", "partner_countries")
        unknown = sorted(set(criteria) - set(known))
        if unknown:
            raise InvalidInput(f"criteria {', '.join(unknown)} are not among {', '.join(known)}")
        self._invitees_selected(
            selection_id=required_text(selection_id, "the selection's id", 100),
            criteria={k: text_list(v, k) for k, v in criteria.items()},
            invitees=members,
            by=by,
            at=at,
        )

    @event("InviteesSelected")
    def _invitees_selected(
        self,
        selection_id: str,
        criteria: dict[str, list[str]],
        invitees: list[dict[str, Any]],
        by: str | None,
        at: datetime,
    ) -> None:
        self.selection = {"selection_id": selection_id, "criteria": criteria, "invitees": invitees, "at": at}

    def approve_by_sg(self, *, note: str | None, by: str | None, at: datetime) -> None:
        self._require_stage((SessionStage.INVITEES_SELECTED,), "approve the programme")
        self._sg_approved(note=clean_text(note), by=by, at=at)

    @event("ProgrammeApprovedBySG")
    def _sg_approved(self, note: str | None, by: str | None, at: datetime) -> None:
        self.sg_approval = {"note": note, "by": by, "at": at}

    def ratify(self, *, note: str | None, by: str | None, at: datetime) -> None:
        """The president ratifies what the SG approved, never before."""
        self._require_stage((SessionStage.SG_APPROVED,), "ratify the programme")
        self._ratified(note=clean_text(note), by=by, at=at)

    @event("ProgrammeRatified")
    def _ratified(self, note: str | None, by: str | None, at: datetime) -> None:
        self.ratification = {"note": note, "by": by, "at": at}

    def record_invitations(self, *, on: date, default_language: str, by: str | None, at: datetime) -> None:
        """The invitations go out through the notification channels: the request names each invitee with the
        phone and language they are reached by, and the session's time and place; then the invitations count as
        sent on `on`."""
        self._require_stage((SessionStage.RATIFIED,), "send the invitations")
        invitees = [
            {
                "member_id": i["member_id"],
                "name": i["name"],
                "phone": i.get("phone"),
                "language": i.get("language") or default_language,
            }
            for i in (self.selection or {}).get("invitees", [])
        ]
        self._invitations_requested(
            trade_group=self.trade_group,
            starts_at=self.starts_at,
            place=self.place,
            topics=self.topics,
            invitees=invitees,
            at=at,
        )
        self._invited(on=on.isoformat(), count=len(self.invitee_ids()), by=by, at=at)

    @event("InvitationsRequested")
    def _invitations_requested(
        self,
        trade_group: str,
        starts_at: datetime,
        place: str,
        topics: list[str],
        invitees: list[dict[str, Any]],
        at: datetime,
    ) -> None:
        pass  # what was asked of the notification channels; the session's state changes with InvitationsSent

    @event("InvitationsSent")
    def _invited(self, on: str, count: int, by: str | None, at: datetime) -> None:
        self.invited = {"on": on, "count": count, "by": by, "at": at}

    # -- the meeting -------------------------------------------------------------------------------------------
    def record_attendance(self, *, attended: list[str], by: str | None, at: datetime) -> None:
        self._require_stage((SessionStage.INVITED, SessionStage.HELD), "record attendance")
        if at < self.starts_at:
            raise TransitionRefused("attendance is recorded once the session has started")
        ids = [required_text(a, "a member id", 100) for a in attended]
        strangers = sorted(set(ids) - set(self.invitee_ids()))
        if strangers:
            raise InvalidInput(f"members {', '.join(strangers)} were not invited")
        self._attendance_recorded(attended=sorted(set(ids)), invited=len(self.invitee_ids()), by=by, at=at)

    @event("AttendanceRecorded")
    def _attendance_recorded(self, attended: list[str], invited: int, by: str | None, at: datetime) -> None:
        self.attended = attended

    def raise_problem(
        self,
        *,
        text: str,
        about_chamber_service: bool,
        service: str | None,
        unit: str | None,
        member_id: str | None,
        by: str | None,
        at: datetime,
    ) -> str:
        """A problem raised at the session; one about the chamber's own services asks for a complaint. Returns
        its number."""
        self._require_stage((SessionStage.HELD, SessionStage.ARCHIVED), "record a problem")
        number = str(len(self.problems) + 1)
        self._problem_raised(
            number=number,
            text=required_text(text, "the problem"),
            about_chamber_service=about_chamber_service,
            service=clean_text(service),
            unit=clean_text(unit),
            member_id=clean_text(member_id),
            complaint_source_ref=f"session:{self.id}:problem:{number}" if about_chamber_service else None,
            by=by,
            at=at,
        )
        return number

    @event("ProblemRaised")
    def _problem_raised(
        self,
        number: str,
        text: str,
        about_chamber_service: bool,
        service: str | None,
        unit: str | None,
        member_id: str | None,
        complaint_source_ref: str | None,
        by: str | None,
        at: datetime,
    ) -> None:
        self.problems[number] = {
            "number": number,
            "text": text,
            "about_chamber_service": about_chamber_service,
            "service": service,
            "unit": unit,
            "member_id": member_id,
            "complaint_source_ref": complaint_source_ref,
            "at": at,
        }

    def archive_minutes(self, *, summary: str, by: str | None, at: datetime) -> None:
        """Minutes SE-FR-02-01-01 with the invitee and attendance lists as they stand."""
        self._require_stage((SessionStage.HELD,), "archive the minutes")
        self._minutes_archived(
            form=MINUTES_FORM,
            summary=required_text(summary, "the minutes' summary", MAX_TEXT),
            invitees=self.invitee_ids(),
            attended=list(self.attended or []),
            by=by,
            at=at,
        )

    @event("MinutesArchived")
    def _minutes_archived(
        self, form: str, summary: str, invitees: list[str], attended: list[str], by: str | None, at: datetime
    ) -> None:
        self.minutes = {
            "form": form,
            "summary": summary,
            "invitees": invitees,
            "attended": attended,
            "by": by,
            "at": at,
        }

    # -- decisions ---------------------------------------------------------------------------------------------
    def take_decision(
        self, *, text: str, owner: str, due_on: date, due_at: datetime, by: str | None, at: datetime
    ) -> str:
        self._require_stage((SessionStage.HELD, SessionStage.ARCHIVED), "record a decision")
        if due_at <= at:
            raise InvalidInput(f"the due date {due_on.isoformat()} has already passed")
        number = str(len(self.decisions) + 1)
        self._decision_taken(
            number=number,
            text=required_text(text, "the decision"),
            owner=required_text(owner, "the decision's owner", 200),
            due_on=due_on.isoformat(),
            due_at=due_at,
            by=by,
            at=at,
        )
        return number

    @event("DecisionTaken")
    def _decision_taken(
        self, number: str, text: str, owner: str, due_on: str, due_at: datetime, by: str | None, at: datetime
    ) -> None:
        self.decisions[number] = {
            "number": number,
            "text": text,
            "owner": owner,
            "due_on": due_on,
            "due_at": due_at,
            "done": None,
            "overdue_recorded": False,
        }

    def decision(self, number: str) -> dict[str, Any]:
        found = self.decisions.get(str(number))
        if found is None:
            raise NotFound(f"session {self.id} has no decision {number}")
        return found

    def complete_decision(self, number: str, *, note: str, by: str | None, at: datetime) -> None:
        d = self.decision(number)
        if d["done"] is not None:
            raise TransitionRefused(f"decision {number} is done already")
        self._decision_done(
            number=str(number), note=required_text(note, "what was done"), on_time=at <= d["due_at"], by=by, at=at
        )

    @event("DecisionDone")
    def _decision_done(self, number: str, note: str, on_time: bool, by: str | None, at: datetime) -> None:
        self.decisions[number]["done"] = {"note": note, "on_time": on_time, "by": by, "at": at}

    def record_overdue_decisions(self, now: datetime) -> list[str]:
        """A breach per undone decision past its due date, recorded once each."""
        late = [n for n, d in self.decisions.items() if self.decision_overdue(d, now) and not d["overdue_recorded"]]
        for n in late:
            d = self.decisions[n]
            self._decision_overdue(number=n, owner=d["owner"], due_at=d["due_at"], trade_group=self.trade_group, at=now)
        return late

    @event("DecisionOverdue")
    def _decision_overdue(self, number: str, owner: str, due_at: datetime, trade_group: str, at: datetime) -> None:
        self.decisions[number]["overdue_recorded"] = True
