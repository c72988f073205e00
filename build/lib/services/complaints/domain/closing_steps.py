"""The last steps of a round, with their rules: the result told to the member, closing, the member's
satisfaction, reopening when the member is not satisfied, and the six-monthly review meeting's minutes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from services.complaints.domain.complaint_state import ComplaintState, text_of
from services.complaints.domain.errors import TransitionRefused
from services.complaints.domain.vocabulary import (
    State,
)
from shared.errors import InvalidInput


class ClosingSteps(ComplaintState):
    """Steps of `Complaint` (which mixes this class in): rules first, then the event. The @event methods must stay
    on `Complaint` itself, where the store finds their stored topics; they are declared here for the type checker."""

    if TYPE_CHECKING:

        def _closed(self, outcome: str | None, note: str | None, by: str, at: datetime) -> None: ...

        def _member_notified(self, outcome: str | None, method: str, message: str, by: str, at: datetime) -> None: ...

        def _reopened(self, reason: str, round: int, by: str, at: datetime) -> None: ...

        def _review_minutes_recorded(self, period: str, minutes: str, by: str, at: datetime) -> None: ...

        def _satisfaction_recorded(
            self, score: int | None, satisfied: bool, comment: str | None, round: int, by: str, at: datetime
        ) -> None: ...

    def notify_member(self, *, method: str, message: str, by: str, at: datetime) -> None:
        if self.state in (State.ACCEPTED, State.COMMITTEE):
            raise TransitionRefused("cannot notify the member: the final result is not decided yet")
        self._require({State.DECIDED}, "notify the member of the result")
        self._member_notified(
            outcome=self.outcome.value if self.outcome else None,
            method=text_of(method, "how the member was told (method)"),
            message=text_of(message, "what the member was told"),
            by=by,
            at=at,
        )

    def close(self, *, note: str | None, by: str, at: datetime) -> None:
        if self.state not in (State.NOTIFIED, State.CLOSED):
            raise TransitionRefused(
                f"cannot close the complaint: the member has not been told the result (it is {self.state.value})"
            )
        self._require({State.NOTIFIED}, "close the complaint")
        self._closed(
            outcome=self.outcome.value if self.outcome else None, note=(note or "").strip() or None, by=by, at=at
        )

    def record_satisfaction(
        self, *, score: int | None, satisfied: bool | None, comment: str | None, by: str, at: datetime
    ) -> None:
        """The member's satisfaction with the handling (ISO 10002): a score of 1-5, or satisfied or not. Without
        an explicit answer, a score of 4 or 5 counts as satisfied."""
        self._require(
            {State.NOTIFIED, State.CLOSED}, "record the member's satisfaction (after the member is told the result)"
        )
        if self.satisfaction is not None and self.satisfaction["round"] == self.round:
            raise TransitionRefused("the member's satisfaction with this handling is already recorded")
        if score is None and satisfied is None:
            raise InvalidInput("give a score from 1 to 5, or whether the member is satisfied")
        if score is not None and not (isinstance(score, int) and 1 <= score <= 5):
            raise InvalidInput(f"the satisfaction score is from 1 to 5, not {score!r}")
        verdict = satisfied if satisfied is not None else score >= 4
        self._satisfaction_recorded(
            score=score,
            satisfied=bool(verdict),
            comment=(comment or "").strip() or None,
            round=self.round,
            by=by,
            at=at,
        )

    def reopen(self, *, reason: str, by: str, at: datetime) -> None:
        """The member is not satisfied: back to review, as a new round of the procedure."""
        self._require({State.CLOSED}, "reopen the complaint")
        if self.satisfaction is None or self.satisfaction["round"] != self.round:
            raise TransitionRefused(
                "record the member's satisfaction first: a complaint is reopened when the member is not satisfied"
            )
        if self.satisfaction["satisfied"]:
            raise TransitionRefused("the member is satisfied with the handling; there is nothing to reopen")
        self._reopened(reason=text_of(reason, "the reason for reopening"), round=self.round + 1, by=by, at=at)

    def record_review_minutes(self, *, period: str, minutes: str, by: str, at: datetime) -> None:
        """The six-monthly review meeting's minutes, kept against each complaint it discussed."""
        if not self.on_review_agenda():
            raise TransitionRefused(
                f"complaint {self.reference} is neither undecided nor with a member not satisfied: "
                "it is not on the review meeting's agenda"
            )
        self._review_minutes_recorded(period=period, minutes=text_of(minutes, "the minutes"), by=by, at=at)
