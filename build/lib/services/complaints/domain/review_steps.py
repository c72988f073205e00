"""The complaint's first steps under ISO 10002, with their rules: the tracking secret, the acknowledgement to the
member, the information the member-relations manager adds, the stakeholders, the initial assessment, the review
marked complete and the referral to the SG. Each records its event through `complaint.Complaint`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from services.complaints.domain.assessment import Level, priority
from services.complaints.domain.complaint_state import ComplaintState, text_of
from services.complaints.domain.conflicts import (
    has_stakeholders,
    normalise_stakeholders,
)
from services.complaints.domain.errors import TransitionRefused
from services.complaints.domain.vocabulary import (
    EDITABLE_FIELDS,
    Kind,
    State,
)
from shared.errors import InvalidInput


class ReviewSteps(ComplaintState):
    """Steps of `Complaint` (which mixes this class in): rules first, then the event. The @event methods must stay
    on `Complaint` itself, where the store finds their stored topics; they are declared here for the type checker."""

    if TYPE_CHECKING:

        def _acknowledged(self, by: str | None, method: str, note: str | None, at: datetime) -> None: ...

        def _assessed(
            self,
            severity: str,
            urgency: str,
            complexity: str,
            immediate_action: bool,
            priority: str,
            note: str | None,
            by: str,
            at: datetime,
        ) -> None: ...

        def _information_added(
            self, changes: dict[str, Any], previous: dict[str, Any], note: str | None, by: str, at: datetime
        ) -> None: ...

        def _referred(self, by: str, note: str | None, at: datetime) -> None: ...

        def _review_completed(self, by: str, at: datetime) -> None: ...

        def _stakeholders_recorded(
            self,
            units: list[str],
            persons: list[str],
            participants: list[str],
            complainant: str | None,
            by: str,
            at: datetime,
            none_declared: bool = False,  # absent from events recorded before the declaration existed
        ) -> None: ...

        def _tracking_issued(self, secret_hash: str, language: str, at: datetime) -> None: ...

    def issue_tracking(self, *, secret_hash: str, language: str, at: datetime) -> None:
        """The complainant may follow the complaint with its reference and a secret; only the secret's hash is
        kept. The language is the one the complainant wrote in, for every text shown to him or her."""
        if self.tracking_secret_hash is not None:
            raise TransitionRefused("the complaint already has its tracking secret")
        if len(secret_hash) != 64:
            raise InvalidInput("the tracking secret is kept as its SHA-256 hash")
        self._tracking_issued(secret_hash=secret_hash, language=language, at=at)

    def acknowledge(self, *, by: str | None, method: str, note: str | None, at: datetime) -> None:
        self._require({State.RECEIVED}, "acknowledge the complaint")
        self._acknowledged(
            by=by, method=text_of(method, "how the member was told (method)"), note=(note or "").strip() or None, at=at
        )

    def add_information(self, *, changes: Mapping[str, Any], note: str | None, by: str, at: datetime) -> dict[str, Any]:
        """The member-relations manager completes the form; returns what changed (nothing: no event)."""
        self._require({State.RECEIVED, State.ACKNOWLEDGED}, "add information to the form")
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise InvalidInput(f"these fields cannot be changed on the form: {', '.join(sorted(unknown))}")
        prepared = dict(changes)
        if "kind" in prepared:
            try:
                prepared["kind"] = Kind(prepared["kind"]).value
            except ValueError:
                raise InvalidInput(f"kind {prepared['kind']!r} is not one of {', '.join(Kind)}") from None
        if "description" in prepared:
            prepared["description"] = text_of(prepared["description"], "the description of the complaint")
        occurred = prepared.get("occurred_at")
        if occurred is not None and occurred > at:
            raise InvalidInput("the time of occurrence is in the future")
        changed = {k: v for k, v in prepared.items() if getattr(self, k) != v}
        if not changed and not (note or "").strip():
            return {}
        previous = {k: getattr(self, k) for k in changed}
        previous = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in previous.items()}
        self._information_added(changes=changed, previous=previous, note=(note or "").strip() or None, by=by, at=at)
        return changed

    def record_stakeholders(
        self,
        *,
        units: Iterable[str],
        persons: Iterable[str],
        participants: Iterable[str],
        complainant: str | None,
        by: str,
        at: datetime,
        none: bool = False,
    ) -> bool:
        """Replace the recorded stakeholders (before a handler is assigned), or declare that there are none
        besides the complainant and the unit the complaint is about; False when nothing changed. An empty list is
        not a declaration: forgetting to ask is not the same as finding nobody."""
        self._require(
            {State.RECEIVED, State.ACKNOWLEDGED, State.REVIEWED, State.REFERRED},
            "record the stakeholders (they are recorded before a handler is assigned)",
        )
        people = normalise_stakeholders(
            units=units,
            persons=persons,
            participants=participants,
            complainant=complainant or self.stakeholders.get("complainant"),
        )
        if none and has_stakeholders(people):
            raise InvalidInput("stakeholders are either listed or declared none, not both")
        if not none and not has_stakeholders(people):
            raise InvalidInput(
                "no stakeholder is listed: name the units, persons or participants, or declare that there are none"
            )
        if people == self.stakeholders and self.stakeholders_recorded and bool(none) == self.stakeholders_none:
            return False
        self._stakeholders_recorded(**people, none_declared=bool(none), by=by, at=at)
        return True

    def assess(
        self,
        *,
        severity: Level | str,
        urgency: Level | str,
        complexity: Level | str,
        immediate_action: bool,
        note: str | None,
        by: str,
        at: datetime,
    ) -> bool:
        """The initial assessment (ISO 10002): severity, urgency, complexity, whether immediate action is needed,
        and the priority they give. It may be revised until the decision; False when nothing changed."""
        self._require(
            {State.RECEIVED, State.ACKNOWLEDGED, State.REVIEWED, State.REFERRED, State.ASSIGNED, State.INVESTIGATED},
            "assess the complaint (the initial assessment is revised at the latest before the decision)",
        )
        levels = {}
        for name, value in (("severity", severity), ("urgency", urgency), ("complexity", complexity)):
            try:
                levels[name] = Level(value)
            except ValueError:
                raise InvalidInput(f"{name} is one of {', '.join(Level)}, not {value!r}") from None
        result = priority(levels["severity"], levels["urgency"], levels["complexity"], bool(immediate_action))
        facts = {k: v.value for k, v in levels.items()} | {"immediate_action": bool(immediate_action)}
        text = (note or "").strip() or None
        if self.assessment and all(self.assessment[k] == v for k, v in facts.items()) and not text:
            return False
        self._assessed(**facts, priority=result.value, note=text, by=by, at=at)
        return True

    def complete_review(self, *, by: str, at: datetime) -> None:
        if self.state == State.RECEIVED:
            raise TransitionRefused("cannot mark the review complete: acknowledge the complaint to the member first")
        self._require({State.ACKNOWLEDGED}, "mark the review complete")
        missing = self.missing_for_review()
        if missing:
            raise TransitionRefused(
                f"the form is not complete: add {', '.join(missing)} before marking the review complete"
            )
        self._review_completed(by=by, at=at)

    def refer(self, *, by: str, note: str | None, at: datetime) -> None:
        if self.state in (State.RECEIVED, State.ACKNOWLEDGED):
            raise TransitionRefused(
                "cannot refer the complaint to the SG: the member-relations manager has not marked the review complete"
            )
        self._require({State.REVIEWED}, "refer the complaint to the SG")
        self._referred(by=by, note=(note or "").strip() or None, at=at)
