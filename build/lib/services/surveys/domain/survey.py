"""Surveys (procedure of the member communication centre §2-2-1, §2-2-2; form ME-FR-02-01-01).

A Survey is one of two kinds:
- project: a unit requests it → the SG approves → the unit supplies the member list (an uploaded list of
  membership numbers, or a member-database selection frozen when taken) → the member-relations manager approves
  the list → the questionnaire is reviewed (a small edit directly; a large edit needs a recorded meeting with the
  requesting unit's manager before the start) → started → closed.
- periodic: a round for a period (six-monthly or yearly) planned by the president, who sets its timing; its
  questions set in a recorded meeting of the president, the SG and the member-relations manager; asked of every
  active member → started → closed.
Member relations runs every survey unless the SG delegates it to another unit (recorded).

Event data holds only JSON-native values (consumers read crm.surveys.events.v1 as JSON); rules are checked in the
public methods, the @event bodies only set state, so replaying a history never refuses.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.surveys.domain.questionnaire import CONTROL, SURVEY_NAMESPACE, clean_text
from shared.errors import DomainError, InvalidInput

MEMBER_RELATIONS = "member_relations"  # the unit that runs every survey unless the SG delegates one
MAX_MEMBERS = 100_000
_PERIOD = re.compile(r"^[0-9]{4}-(H[12]|Y)$")  # 2026-H1, 2026-H2 (six-monthly) or 2026-Y (yearly)


class SurveyKind(StrEnum):
    PROJECT = "project"
    PERIODIC = "periodic"


class Stage(StrEnum):
    REQUESTED = "requested"  # project: waiting for the SG
    APPROVED = "approved"  # project: the SG approved; waiting for the member list
    LIST_SUPPLIED = "list_supplied"  # project: waiting for the member-relations manager to approve the list
    LIST_APPROVED = "list_approved"  # project: ready to start once any large edit's meeting is recorded
    PLANNED = "planned"  # periodic: waiting for its timing and its questions meeting
    RUNNING = "running"
    CLOSED = "closed"
    REJECTED = "rejected"  # project: the SG refused the request


class EditSize(StrEnum):
    SMALL = "small"  # made directly by the member-relations manager
    LARGE = "large"  # needs a recorded meeting with the requesting unit's manager before the start


class MeetingPurpose(StrEnum):
    LARGE_EDIT = "large_edit"  # project: the member-relations manager and the requesting unit's manager
    QUESTIONS = "questions"  # periodic: the president, the SG and the member-relations manager


# Who must attend each kind of meeting, by role (shared/auth.py Role values).
MEETING_ROLES = {
    MeetingPurpose.LARGE_EDIT: ("mr_manager", "unit_manager"),
    MeetingPurpose.QUESTIONS: ("president", "sg", "mr_manager"),
}


class TransitionRefused(DomainError):
    """The survey's stage does not allow this step (409)."""


def round_id(period: str) -> uuid.UUID:
    """One periodic round per period: planning it again finds the round already there."""
    return uuid.uuid5(SURVEY_NAMESPACE, f"periodic:{period}")


def membership_numbers(raw: Any) -> list[str]:
    """A member list as typed or uploaded: numbers kept in order, blanks and repeats dropped."""
    if not isinstance(raw, list):
        raise InvalidInput("give the membership numbers as a list")
    seen: dict[str, None] = {}
    for value in raw:
        number = CONTROL.sub("", str(value)).strip()
        if not number:
            continue
        if len(number) > 50:
            raise InvalidInput(f"membership number {number[:20]}… is longer than 50 characters")
        seen[number] = None
    if not seen:
        raise InvalidInput("the member list is empty")
    if len(seen) > MAX_MEMBERS:
        raise InvalidInput(f"a member list has at most {MAX_MEMBERS} members")
    return list(seen)


class Survey(Aggregate):
    @event("Requested")
    def __init__(
        self,
        *,
        kind: str,
        subject: str,
        unit: str,
        period: str | None,
        frequency: str | None,
        questionnaire_id: str,
        questionnaire_version: int,
        by: str | None,
        at: datetime,
    ):
        self.kind = kind
        self.subject = subject
        self.unit = unit  # the requesting unit (project) or member relations (periodic)
        self.period = period
        self.frequency = frequency
        self.questionnaire_id = questionnaire_id
        self.questionnaire_version = questionnaire_version
        self.runner = MEMBER_RELATIONS
        self.stage = (Stage.REQUESTED if kind == SurveyKind.PROJECT else Stage.PLANNED).value
        self.requested_by = by
        self.requested_at = at
        self.approved_by: str | None = None
        self.rejection: str | None = None
        self.delegations: list[dict[str, Any]] = []
        self.member_list: list[str] = []
        self.list_source: dict[str, Any] | None = None
        self.list_approved_by: str | None = None
        self.edits: list[dict[str, Any]] = []
        self.meeting_needed = False
        self.meetings: list[dict[str, Any]] = []
        self.starts_on: str | None = None
        self.ends_on: str | None = None
        self.timing_by: str | None = None
        self.members: list[str] = []
        self.started_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.complaint_refs: list[str] = []  # complaints the scores opened: each once, however often evaluated
        self.summaries: list[dict[str, Any]] = []  # the weekly summaries: week ending, when, the figures
        self.updated_at = at

    @classmethod
    def create_id(cls, *, kind: str, period: str | None = None, **_: object) -> uuid.UUID:
        return round_id(period) if kind == SurveyKind.PERIODIC and period else uuid.uuid4()

    @classmethod
    def request_project(
        cls, *, subject: str, unit: str, questionnaire_id: str, questionnaire_version: int, by: str | None, at: datetime
    ) -> Survey:
        return cls(
            kind=SurveyKind.PROJECT.value,
            subject=clean_text(subject, "the service or project to survey", 300) or "",
            unit=clean_text(unit, "the requesting unit", 100) or "",
            period=None,
            frequency=None,
            questionnaire_id=questionnaire_id,
            questionnaire_version=questionnaire_version,
            by=by,
            at=at,
        )

    @classmethod
    def plan_round(
        cls, *, period: str, questionnaire_id: str, questionnaire_version: int, by: str | None, at: datetime
    ) -> Survey:
        period = str(period or "").strip()
        if not _PERIOD.match(period):
            raise InvalidInput("a round's period is YYYY-H1 or YYYY-H2 (six-monthly) or YYYY-Y (yearly)")
        return cls(
            kind=SurveyKind.PERIODIC.value,
            subject=f"periodic satisfaction survey {period}",
            unit=MEMBER_RELATIONS,
            period=period,
            frequency="yearly" if period.endswith("Y") else "six_monthly",
            questionnaire_id=questionnaire_id,
            questionnaire_version=questionnaire_version,
            by=by,
            at=at,
        )

    # -- views -------------------------------------------------------------------------------------------------
    @property
    def is_project(self) -> bool:
        return self.kind == SurveyKind.PROJECT

    def blockers(self) -> list[str]:
        """What still keeps the survey from starting, in words; empty when it may start."""
        if self.stage in (Stage.RUNNING, Stage.CLOSED, Stage.REJECTED):
            return [f"the survey is {self.stage.replace('_', ' ')}"]
        missing = []
        if self.is_project:
            if self.stage == Stage.REQUESTED:
                missing.append("the SG's approval")
            if self.stage in (Stage.REQUESTED, Stage.APPROVED):
                missing.append("the member list from the requesting unit")
            if self.stage != Stage.LIST_APPROVED:
                missing.append("the member-relations manager's approval of the member list")
            if self.meeting_needed:
                missing.append("the meeting with the requesting unit's manager about the large edit")
        else:
            if self.starts_on is None:
                missing.append("the president's timing")
            if not any(m["purpose"] == MeetingPurpose.QUESTIONS for m in self.meetings):
                missing.append("the meeting of the president, the SG and the member-relations manager on the questions")
        return missing

    def _require(self, stages: tuple[Stage, ...], doing: str) -> None:
        if self.stage not in stages:
            allowed = " or ".join(s.value.replace("_", " ") for s in stages)
            raise TransitionRefused(
                f"cannot {doing}: the survey is {self.stage.replace('_', ' ')}; this needs {allowed}"
            )

    def _require_project(self, doing: str) -> None:
        if not self.is_project:
            raise TransitionRefused(f"cannot {doing}: only a project survey has this step")

    def _require_periodic(self, doing: str) -> None:
        if self.is_project:
            raise TransitionRefused(f"cannot {doing}: only a periodic round has this step")

    # -- project survey ----------------------------------------------------------------------------------------
    def approve(self, *, by: str | None, at: datetime) -> None:
        self._require_project("approve the request")
        self._require((Stage.REQUESTED,), "approve the request")
        self._approved(by=by, at=at)

    @event("Approved")
    def _approved(self, by: str | None, at: datetime) -> None:
        self.stage = Stage.APPROVED.value
        self.approved_by = by
        self.updated_at = at

    def reject(self, reason: str, *, by: str | None, at: datetime) -> None:
        self._require_project("reject the request")
        self._require((Stage.REQUESTED,), "reject the request")
        self._rejected(reason=clean_text(reason, "the reason for rejecting the request") or "", by=by, at=at)

    @event("Rejected")
    def _rejected(self, reason: str, by: str | None, at: datetime) -> None:
        self.stage = Stage.REJECTED.value
        self.rejection = reason
        self.updated_at = at

    def supply_members(
        self, numbers: Any, *, source: str, selection_id: str | None, by: str | None, at: datetime
    ) -> int:
        """The requesting unit's list of members who received the service; supplying again replaces it until the
        member-relations manager approves it."""
        self._require_project("supply the member list")
        self._require((Stage.APPROVED, Stage.LIST_SUPPLIED), "supply the member list")
        if source not in ("upload", "selection"):
            raise InvalidInput("a member list comes from an upload or a member-database selection")
        members = membership_numbers(numbers)
        self._members_supplied(members=members, source=source, selection_id=selection_id, by=by, at=at)
        return len(members)

    @event("MembersSupplied")
    def _members_supplied(
        self, members: list[str], source: str, selection_id: str | None, by: str | None, at: datetime
    ) -> None:
        self.member_list = list(members)
        self.list_source = {"source": source, "selection_id": selection_id, "by": by, "at": at}
        self.stage = Stage.LIST_SUPPLIED.value
        self.updated_at = at

    def approve_members(self, *, by: str | None, at: datetime) -> None:
        self._require_project("approve the member list")
        self._require((Stage.LIST_SUPPLIED,), "approve the member list")
        self._members_approved(count=len(self.member_list), by=by, at=at)

    @event("MembersApproved")
    def _members_approved(self, count: int, by: str | None, at: datetime) -> None:
        self.stage = Stage.LIST_APPROVED.value
        self.list_approved_by = by
        self.updated_at = at

    # -- both kinds --------------------------------------------------------------------------------------------
    def delegate(self, unit: str, *, reason: str | None, by: str | None, at: datetime) -> None:
        """The SG has another unit run the survey instead of member relations."""
        self._require(
            (Stage.REQUESTED, Stage.APPROVED, Stage.LIST_SUPPLIED, Stage.LIST_APPROVED, Stage.PLANNED, Stage.RUNNING),
            "delegate the survey",
        )
        unit = clean_text(unit, "the unit to run the survey", 100) or ""
        if unit == self.runner:
            raise TransitionRefused(f"unit {unit} runs the survey already")
        self._delegated(
            unit=unit, previous=self.runner, reason=clean_text(reason, "the reason", required=False), by=by, at=at
        )

    @event("Delegated")
    def _delegated(self, unit: str, previous: str, reason: str | None, by: str | None, at: datetime) -> None:
        self.runner = unit
        self.delegations.append({"unit": unit, "previous": previous, "reason": reason, "by": by, "at": at})
        self.updated_at = at

    def edit_questionnaire(self, *, version: int, size: str, note: str | None, by: str | None, at: datetime) -> None:
        """Point the survey at a revised version of its questionnaire, before it starts. A large edit of a project
        survey needs the meeting with the requesting unit's manager recorded before the start."""
        self._require(
            (Stage.APPROVED, Stage.LIST_SUPPLIED, Stage.LIST_APPROVED, Stage.PLANNED), "edit the questionnaire"
        )
        try:
            edit = EditSize(size)
        except ValueError:
            raise InvalidInput("an edit is small or large") from None
        if version <= self.questionnaire_version:
            raise InvalidInput(f"the survey uses version {self.questionnaire_version}; an edit moves to a later one")
        self._questionnaire_edited(
            version=version,
            previous=self.questionnaire_version,
            size=edit.value,
            meeting_needed=self.is_project and edit == EditSize.LARGE,
            note=clean_text(note, "the note", required=False),
            by=by,
            at=at,
        )

    @event("QuestionnaireEdited")
    def _questionnaire_edited(
        self,
        version: int,
        previous: int,
        size: str,
        meeting_needed: bool,
        note: str | None,
        by: str | None,
        at: datetime,
    ) -> None:
        self.questionnaire_version = version
        self.edits.append({"version": version, "previous": previous, "size": size, "note": note, "by": by, "at": at})
        self.meeting_needed = self.meeting_needed or meeting_needed
        self.updated_at = at

    def record_meeting(
        self,
        *,
        purpose: str,
        held_on: date,
        attendees: list[dict[str, Any]],
        minutes: str,
        by: str | None,
        at: datetime,
    ) -> None:
        """A meeting the procedure asks for, with who attended in which role and what was decided."""
        self._require((Stage.APPROVED, Stage.LIST_SUPPLIED, Stage.LIST_APPROVED, Stage.PLANNED), "record the meeting")
        try:
            kind = MeetingPurpose(purpose)
        except ValueError:
            raise InvalidInput(f"a meeting is about {' or '.join(p.value for p in MeetingPurpose)}") from None
        if kind == MeetingPurpose.LARGE_EDIT:
            self._require_project("record a meeting on a large edit")
            if not self.meeting_needed:
                raise TransitionRefused("no large edit of the questionnaire is waiting for a meeting")
        else:
            self._require_periodic("record the meeting on a round's questions")
        people = []
        for a in attendees or []:
            if not isinstance(a, dict):
                raise InvalidInput("each attendee has a name and a role")
            people.append(
                {
                    "name": clean_text(a.get("name"), "an attendee's name", 200),
                    "role": clean_text(a.get("role"), "an attendee's role", 40),
                    "unit": clean_text(a.get("unit"), "an attendee's unit", 100, required=False),
                }
            )
        present = {p["role"] for p in people}
        missing = [r for r in MEETING_ROLES[kind] if r not in present]
        if missing:
            raise InvalidInput(f"this meeting needs a {' and a '.join(missing)} among the attendees")
        if kind == MeetingPurpose.LARGE_EDIT and not any(
            p["role"] == "unit_manager" and p["unit"] == self.unit for p in people
        ):
            raise InvalidInput(f"the requesting unit's manager (unit {self.unit}) must attend")
        self._meeting_recorded(
            purpose=kind.value,
            held_on=held_on.isoformat(),
            attendees=people,
            minutes=clean_text(minutes, "the minutes (what was decided)") or "",
            by=by,
            at=at,
        )

    @event("MeetingRecorded")
    def _meeting_recorded(
        self, purpose: str, held_on: str, attendees: list[dict[str, Any]], minutes: str, by: str | None, at: datetime
    ) -> None:
        self.meetings.append(
            {"purpose": purpose, "held_on": held_on, "attendees": attendees, "minutes": minutes, "by": by, "at": at}
        )
        if purpose == MeetingPurpose.LARGE_EDIT:
            self.meeting_needed = False
        self.updated_at = at

    # -- periodic round ----------------------------------------------------------------------------------------
    def set_timing(self, *, starts_on: date, ends_on: date, by: str | None, at: datetime) -> None:
        """The president's timing of the round: the day it starts and the day it closes (its links expire)."""
        self._require_periodic("set the round's timing")
        self._require((Stage.PLANNED, Stage.RUNNING), "set the round's timing")
        if ends_on <= starts_on:
            raise InvalidInput("the round ends after it starts")
        if ends_on < at.date():
            raise InvalidInput("the round's end has already passed")
        self._timing_set(starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(), by=by, at=at)

    @event("TimingSet")
    def _timing_set(self, starts_on: str, ends_on: str, by: str | None, at: datetime) -> None:
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.timing_by = by
        self.updated_at = at

    # -- running -----------------------------------------------------------------------------------------------
    def start(
        self, *, members: list[str] | None = None, today: date | None = None, by: str | None, at: datetime
    ) -> int:
        """Start asking: a project survey its approved list, a periodic round the active members given, not before
        the day the president set (`today` is the chamber's local date)."""
        blockers = self.blockers()
        if blockers:
            raise TransitionRefused("the survey cannot start yet: it needs " + "; ".join(blockers))
        if self.starts_on and (today or at.date()) < date.fromisoformat(self.starts_on):
            raise TransitionRefused(f"the president set the round to start on {self.starts_on}")
        asked = list(self.member_list) if self.is_project else membership_numbers(members or [])
        self._started(members=asked, questionnaire_version=self.questionnaire_version, by=by, at=at)
        return len(asked)

    @event("Started")
    def _started(self, members: list[str], questionnaire_version: int, by: str | None, at: datetime) -> None:
        self.members = list(members)
        self.stage = Stage.RUNNING.value
        self.started_at = at
        self.updated_at = at

    def close(self, *, by: str | None, at: datetime) -> None:
        self._require((Stage.RUNNING,), "close the survey")
        self._closed(by=by, at=at)

    @event("Closed")
    def _closed(self, by: str | None, at: datetime) -> None:
        self.stage = Stage.CLOSED.value
        self.closed_at = at
        self.updated_at = at

    def record_links_issued(self, count: int, *, by: str | None, at: datetime) -> None:
        """The one-time online links were issued (the links themselves are not events: they are keys)."""
        self._require((Stage.RUNNING,), "issue the online links")
        self._links_issued(count=count, by=by, at=at)

    @event("LinksIssued")
    def _links_issued(self, count: int, by: str | None, at: datetime) -> None:
        self.updated_at = at

    # -- scores ------------------------------------------------------------------------------------------------
    def raise_complaints(
        self, complaints: list[dict[str, Any]], *, occasion: str, by: str | None, at: datetime
    ) -> list[dict[str, Any]]:
        """Record the complaints the scores call for that were not raised before; returns the new ones."""
        if self.stage not in (Stage.RUNNING, Stage.CLOSED):
            raise TransitionRefused("scores are evaluated while the survey runs and at its close")
        new = [c for c in complaints if c["source_ref"] not in self.complaint_refs]
        for complaint in new:
            self._complaint_raised(complaint=complaint, occasion=occasion, by=by, at=at)
        return new

    @event("ComplaintRaised")
    def _complaint_raised(self, complaint: dict[str, Any], occasion: str, by: str | None, at: datetime) -> None:
        self.complaint_refs.append(complaint["source_ref"])

    # -- weekly summaries --------------------------------------------------------------------------------------
    def last_summary_at(self) -> datetime | None:
        return self.summaries[-1]["at"] if self.summaries else None

    def record_weekly_summary(self, *, week_ending: date, figures: dict[str, Any], at: datetime) -> bool:
        """The summary of the working week ending `week_ending`, once per week; False when recorded already."""
        self._require((Stage.RUNNING,), "summarise the week")
        if any(s["week_ending"] == week_ending.isoformat() for s in self.summaries):
            return False
        self._weekly_summary_recorded(week_ending=week_ending.isoformat(), figures=figures, at=at)
        return True

    @event("WeeklySummaryRecorded")
    def _weekly_summary_recorded(self, week_ending: str, figures: dict[str, Any], at: datetime) -> None:
        self.summaries.append({"week_ending": week_ending, "figures": figures, "at": at})
