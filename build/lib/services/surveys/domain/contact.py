"""One member asked in one survey: the contact attempts, the answers, and dissatisfaction voiced during the call.

Attempts (procedure §2-2-1 and §2-2-2): a project survey makes at least 2 and at most 3 attempts per member; a
periodic round 3, two from the chamber's fixed lines and one from member relations' mobile line. Attempts are
spaced by a gap (the next working day by default; the application computes the instant from the calendar). A
member is "not reached" only when the required attempts are used up: automatically at the last one allowed, or
when the expert gives up after the required ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.surveys.domain.questionnaire import SURVEY_NAMESPACE, clean_text, dissatisfied, parse_answers
from services.surveys.domain.scores import respondent_score
from services.surveys.domain.survey import SurveyKind
from shared.errors import DomainError, InvalidInput

MAX_SERVICES = 20


class Line(StrEnum):
    FIXED = "fixed"  # one of the chamber's fixed lines
    MOBILE = "mobile"  # member relations' mobile line


class Outcome(StrEnum):
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    UNREACHABLE = "unreachable"  # switched off, out of service
    WRONG_NUMBER = "wrong_number"
    DECLINED = "declined"  # reached, and would not answer the survey


UNREACHED = (Outcome.NO_ANSWER, Outcome.BUSY, Outcome.UNREACHABLE, Outcome.WRONG_NUMBER)


class Channel(StrEnum):
    PHONE = "phone"  # the expert records the answers during the call
    LINK = "link"  # the member's one-time online link
    WEBSITE = "website"  # the chamber's website
    IMPORT = "import"  # an external online survey service's export


class Status(StrEnum):
    PENDING = "pending"  # still to be reached
    RESPONDED = "responded"
    DECLINED = "declined"
    NOT_REACHED = "not_reached"


class ContactRefused(DomainError):
    """The contact's state does not allow this step (409)."""


@dataclass(frozen=True)
class AttemptPolicy:
    """How many attempts a member gets, and from which lines: `lines` gives each line's number of attempts when
    the procedure fixes them (a periodic round), None when any line will do."""

    required: int
    allowed: int
    lines: tuple[tuple[str, int], ...] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"required": self.required, "allowed": self.allowed, "lines": dict(self.lines) if self.lines else None}


PROJECT_POLICY = AttemptPolicy(required=2, allowed=3)
PERIODIC_POLICY = AttemptPolicy(required=3, allowed=3, lines=((Line.FIXED.value, 2), (Line.MOBILE.value, 1)))


def policy_for(kind: str) -> AttemptPolicy:
    return PERIODIC_POLICY if kind == SurveyKind.PERIODIC else PROJECT_POLICY


def contact_id(survey_id: uuid.UUID | str, membership_number: str) -> uuid.UUID:
    """One contact per member per survey (a periodic survey's round is its own survey)."""
    return uuid.uuid5(SURVEY_NAMESPACE, f"contact:{survey_id}:{membership_number}")


def complaint_ref(survey_id: uuid.UUID | str, membership_number: str) -> str:
    """The complaint a member's voiced dissatisfaction opens: one per member per survey, however often it is sent."""
    return f"surveys:{survey_id}:member:{membership_number}:dissatisfied"


def next_line_for(policy: AttemptPolicy, used: dict[str, int]) -> str | None:
    """The line the next attempt is made from: the fixed lines first, the mobile line for the last one."""
    if policy.lines is None:
        return Line.FIXED.value
    for line, quota in policy.lines:
        if used.get(line, 0) < quota:
            return line
    return None


class Contact(Aggregate):
    @event("Opened")
    def __init__(self, *, survey_id: str, kind: str, membership_number: str, policy: dict[str, Any], at: datetime):
        self.survey_id = survey_id
        self.kind = kind
        self.membership_number = membership_number
        self.policy = policy
        self.status = Status.PENDING.value
        self.attempts: list[dict[str, Any]] = []
        self.next_attempt_at: datetime | None = None
        self.answers: dict[str, Any] | None = None
        self.channel: str | None = None
        self.services_introduced: list[str] = []
        self.responded_at: datetime | None = None
        self.complaint: dict[str, Any] | None = None
        self.score: float | None = None  # the respondent's score, percent
        self.low_signals: list[str] = []  # dissatisfaction-signal questions answered at the bottom

    @classmethod
    def create_id(cls, *, survey_id: str, membership_number: str, **_: object) -> uuid.UUID:
        return contact_id(survey_id, membership_number)

    @classmethod
    def open(cls, *, survey_id: str, kind: str, membership_number: str, at: datetime) -> Contact:
        return cls(
            survey_id=survey_id,
            kind=kind,
            membership_number=membership_number,
            policy=policy_for(kind).as_dict(),
            at=at,
        )

    # -- views -------------------------------------------------------------------------------------------------
    @property
    def attempt_policy(self) -> AttemptPolicy:
        lines = self.policy.get("lines")
        return AttemptPolicy(
            required=self.policy["required"],
            allowed=self.policy["allowed"],
            lines=tuple(lines.items()) if lines else None,
        )

    def lines_used(self) -> dict[str, int]:
        used: dict[str, int] = {}
        for a in self.attempts:
            used[a["line"]] = used.get(a["line"], 0) + 1
        return used

    @property
    def attempts_left(self) -> int:
        return max(0, self.attempt_policy.allowed - len(self.attempts)) if self.status == Status.PENDING else 0

    @property
    def line_to_use(self) -> str | None:
        return next_line_for(self.attempt_policy, self.lines_used()) if self.attempts_left else None

    def _require_pending(self, doing: str) -> None:
        if self.status != Status.PENDING:
            raise ContactRefused(f"cannot {doing}: the member is {self.status.replace('_', ' ')} already")

    def _check_attempt(self, line: str, at: datetime) -> None:
        self._require_pending("record an attempt")
        if not self.attempts_left:
            raise ContactRefused("every attempt allowed has been made")
        if self.next_attempt_at is not None and at < self.next_attempt_at:
            raise ContactRefused(f"the next attempt is due from {self.next_attempt_at.isoformat()}, not before")
        try:
            Line(line)
        except ValueError:
            raise InvalidInput("an attempt is made from a fixed line or the mobile line") from None
        policy = self.attempt_policy
        if policy.lines is not None:
            quota = dict(policy.lines).get(line, 0)
            if self.lines_used().get(line, 0) >= quota:
                raise InvalidInput(
                    f"this survey's attempts from the {line} line are used up; use the {self.line_to_use} line"
                )

    # -- commands ----------------------------------------------------------------------------------------------
    def record_attempt(self, *, line: str, outcome: str, next_at: datetime, by: str | None, at: datetime) -> None:
        """A call that did not bring answers: unanswered (the next attempt from `next_at`) or declined."""
        try:
            result = Outcome(outcome)
        except ValueError:
            raise InvalidInput(
                f"an unanswered attempt's outcome is one of {', '.join(o.value for o in Outcome)}"
            ) from None
        self._check_attempt(line, at)
        self._attempted(number=len(self.attempts) + 1, line=line, outcome=result.value, next_at=next_at, by=by, at=at)
        if result == Outcome.DECLINED:
            self._declined(by=by, at=at)
        elif not self.attempts_left:
            self._not_reached(attempts=len(self.attempts), by=by, at=at)

    @event("AttemptRecorded")
    def _attempted(self, number: int, line: str, outcome: str, next_at: datetime, by: str | None, at: datetime) -> None:
        self.attempts.append({"number": number, "line": line, "outcome": outcome, "by": by, "at": at})
        self.next_attempt_at = next_at

    @event("Declined")
    def _declined(self, by: str | None, at: datetime) -> None:
        self.status = Status.DECLINED.value

    def give_up(self, *, by: str | None, at: datetime) -> None:
        """The expert stops calling: allowed once the required attempts are made."""
        self._require_pending("mark the member not reached")
        required = self.attempt_policy.required
        if len(self.attempts) < required:
            raise ContactRefused(
                f"a member is not reached only after {required} attempts; {len(self.attempts)} made so far"
            )
        self._not_reached(attempts=len(self.attempts), by=by, at=at)

    @event("NotReached")
    def _not_reached(self, attempts: int, by: str | None, at: datetime) -> None:
        self.status = Status.NOT_REACHED.value
        self.next_attempt_at = None

    def respond(
        self,
        *,
        questions: list[dict[str, Any]],
        answers: Any,
        channel: str,
        line: str | None,
        services_introduced: list[str] | None,
        by: str | None,
        at: datetime,
    ) -> list[str]:
        """The member's answers; by phone the call that brought them counts as an attempt from `line`, and the
        chamber's new services the expert introduced are recorded. Returns the dissatisfaction-signal questions
        answered at the bottom."""
        self._require_pending("record answers")
        try:
            how = Channel(channel)
        except ValueError:
            raise InvalidInput(f"a channel is one of {', '.join(c.value for c in Channel)}") from None
        parsed = parse_answers(questions, answers)
        if not parsed:
            raise InvalidInput("no question was answered")
        introduced: list[str] = []
        for s in services_introduced or []:
            name = clean_text(s, "a service introduced", 200)
            if name and name not in introduced:
                introduced.append(name)
        if len(introduced) > MAX_SERVICES:
            raise InvalidInput(f"at most {MAX_SERVICES} services introduced in one call")
        attempt = None
        if how == Channel.PHONE:
            if line is None:
                raise InvalidInput("give the line the call was made from")
            self._check_attempt(line, at)
            attempt = {"number": len(self.attempts) + 1, "line": line, "outcome": "answered", "by": by, "at": at}
        elif introduced:
            raise InvalidInput("services are introduced during a call: only a phone response records them")
        low = dissatisfied(questions, parsed)
        score = respondent_score(questions, parsed)
        self._responded(
            channel=how.value,
            answers=parsed,
            attempt=attempt,
            services_introduced=introduced,
            low_signals=low,
            score=score,
            by=by,
            at=at,
        )
        return low

    @event("Responded")
    def _responded(
        self,
        channel: str,
        answers: dict[str, Any],
        attempt: dict[str, Any] | None,
        services_introduced: list[str],
        low_signals: list[str],
        score: float | None,
        by: str | None,
        at: datetime,
    ) -> None:
        if attempt is not None:
            self.attempts.append(attempt)
        self.status = Status.RESPONDED.value
        self.channel = channel
        self.answers = dict(answers)
        self.services_introduced = list(services_introduced)
        self.responded_at = at
        self.next_attempt_at = None
        self.score = score
        self.low_signals = list(low_signals)

    def record_dissatisfaction(
        self, note: str, *, unit: str | None, subject: str, by: str | None, at: datetime
    ) -> dict[str, Any]:
        """Dissatisfaction the member voiced during the call, recorded on the spot as a complaint naming the member
        (form ME-FR-01-01-01); the complaints service is told after the event is stored."""
        if self.status not in (Status.PENDING, Status.RESPONDED, Status.DECLINED):
            raise ContactRefused("dissatisfaction is recorded for a member who was reached")
        if self.complaint is not None:
            raise ContactRefused("this member's dissatisfaction in this survey is recorded already")
        text = clean_text(note, "what the member is dissatisfied with") or ""
        return self._complain(f"Voiced during the survey call ({subject}): {text}", unit, subject, by, at)

    def check_respondent(
        self, *, threshold: float, unit: str | None, subject: str, by: str | None, at: datetime
    ) -> dict[str, Any] | None:
        """A project survey's respondent scoring below the threshold, or answering a dissatisfaction-signal question
        at the bottom, opens a complaint naming the member: the same one as voiced dissatisfaction, so a member
        has at most one complaint per survey."""
        if self.status != Status.RESPONDED or self.complaint is not None:
            return None
        low_score = self.score is not None and self.score < threshold
        if not (low_score or self.low_signals):
            return None
        reasons = []
        if low_score:
            reasons.append(f"scored {self.score:g}% (threshold {threshold:g}%)")
        if self.low_signals:
            reasons.append("dissatisfied on " + ", ".join(self.low_signals))
        return self._complain(f"Survey answers ({subject}): {'; '.join(reasons)}", unit, subject, by, at)

    def _complain(self, description: str, unit: str | None, subject: str, by: str | None, at: datetime):
        complaint = {
            "source_ref": complaint_ref(self.survey_id, self.membership_number),
            "source": "surveys",
            "description": description,
            "member_number": self.membership_number,
            "unit": unit,
            "service": subject,
        }
        self._dissatisfaction_recorded(complaint=complaint, by=by, at=at)
        return complaint

    @event("DissatisfactionRecorded")
    def _dissatisfaction_recorded(self, complaint: dict[str, Any], by: str | None, at: datetime) -> None:
        self.complaint = dict(complaint)
