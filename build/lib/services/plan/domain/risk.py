"""The process card's risk register (`000_*`): each risk of a process with its area, effect, score and measures.

R = probability O (1-5) × severity Ş (1-5); the priority band follows from R: 1 unacceptable (20-25),
2 significant (13-19), 3 notable (8-12), 4 acceptable (1-7). Every re-scoring is an event with its reason, so the
register can be read as it stood on any date and each risk's trend shown. A measure can ask for a corrective action
(SY-PR-05-00-02): the request is an event here, delivered to the actions service by an outbox after it is stored.

Event data holds only JSON-native values: consumers read it from Kafka (crm.plan.events.v1) as JSON.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.errors import InvalidInput

RISK_NAMESPACE = uuid.UUID("0e6a5d8c-2b7f-4c39-8e14-a95d3f7b62c1")
MAX_TEXT = 2000

PROBABILITY = {
    1: "almost impossible (Neredeyse Mümkün Değil)",
    2: "once a year (Yılda Bir)",
    3: "a few times a year (Yılda Birkaç Kez)",
    4: "monthly (Ayda Bir)",
    5: "weekly or daily (Haftada Bir, Her gün)",
}
SEVERITY = {
    1: "notification and intervention suffice (Bildirim ve müdahale yeterli)",
    2: "fixable at once (Hemen düzeltilebilir)",
    3: "fixable with loss of time and cost (Düzeltilebilir, zaman ve maliyet kaybı)",
    4: "member dissatisfaction (Üye memnuniyetsizliği)",
    5: "member loss (Üye kaybı)",
}
# (band, name, lowest R); checked from the top.
BANDS = ((1, "unacceptable", 20), (2, "significant", 13), (3, "notable", 8), (4, "acceptable", 1))
TEXT_FIELDS = ("area", "effect", "current_measures", "planned_measures", "control_record")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def risk_id(process: str, title: str) -> uuid.UUID:
    """A risk is named by its process and its wording: importing the card again finds the risks already there."""
    return uuid.uuid5(RISK_NAMESPACE, f"risk:{process.strip().casefold()}:{' '.join(title.split()).casefold()}")


def band(score: int) -> dict[str, Any]:
    for number, name, lowest in BANDS:
        if score >= lowest:
            return {"band": number, "name": name}
    raise InvalidInput(f"a risk score is 1 to 25, not {score}")


def check_scale(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidInput(f"{what} is 1 to 5, not {value!r}")
    return value


def clean(value: Any, what: str) -> str | None:
    """Text as typed, without control characters; None when nothing is left."""
    text = _CONTROL.sub("", str(value)).strip() if value is not None else ""
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"{what} is longer than {MAX_TEXT} characters")
    return text or None


def required(value: Any, what: str) -> str:
    text = clean(value, what)
    if text is None:
        raise InvalidInput(f"give {what}")
    return text


def score_of(probability: int, severity: int) -> dict[str, Any]:
    r = probability * severity
    return {"probability": probability, "severity": severity, "score": r, **band(r)}


class Risk(Aggregate):
    @staticmethod
    def create_id(process: str, title: str, **_: Any) -> uuid.UUID:
        return risk_id(process, title)

    @classmethod
    def register(
        cls, *, process: str, title: str, probability: int, severity: int, by: str, at: datetime, **texts: Any
    ) -> Risk:
        """A new risk of a process, scored; its texts (area, effect, measures, control record) as given."""
        details = {name: clean(texts.get(name), name.replace("_", " ")) for name in TEXT_FIELDS}
        return cls(
            process=required(process, "the process"),
            title=required(title, "the risk"),
            probability=check_scale(probability, "probability O"),
            severity=check_scale(severity, "severity Ş"),
            details=details,
            by=by,
            at=at,
        )

    @event("Registered")
    def __init__(
        self,
        process: str,
        title: str,
        probability: int,
        severity: int,
        details: dict[str, Any],
        by: str,
        at: datetime,
    ) -> None:
        self.process = process
        self.title = title
        self.details = dict(details)
        self.scores: list[dict[str, Any]] = [{**score_of(probability, severity), "at": at, "by": by, "reason": None}]
        self.registered_at = at
        self.action_requests: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []  # signals that prompted a review, and the reviews done

    @property
    def open_prompts(self) -> list[dict[str, Any]]:
        """Signals that prompted a review not yet done (a review or a re-scoring answers them)."""
        return [r for r in self.reviews if r["kind"] == "prompt" and r["answered"] is None]

    @property
    def current(self) -> dict[str, Any]:
        return self.scores[-1]

    def score_on(self, moment: datetime) -> dict[str, Any] | None:
        """The score in force at `moment`; None before the risk was registered."""
        in_force = [s for s in self.scores if s["at"] <= moment]
        return in_force[-1] if in_force else None

    def rescore(self, probability: int, severity: int, *, reason: str | None, by: str, at: datetime) -> bool:
        """Record a new score; False (nothing recorded) when O and Ş stay as they are."""
        check_scale(probability, "probability O")
        check_scale(severity, "severity Ş")
        if (probability, severity) == (self.current["probability"], self.current["severity"]):
            return False
        self._rescored(probability, severity, clean(reason, "the reason"), by, at)
        return True

    @event("Rescored")
    def _rescored(self, probability: int, severity: int, reason: str | None, by: str, at: datetime) -> None:
        self.scores.append({**score_of(probability, severity), "at": at, "by": by, "reason": reason})
        self._answer_prompts(at)

    def _answer_prompts(self, at: datetime) -> None:
        for prompt in self.open_prompts:
            prompt["answered"] = at

    def prompt_review(self, *, signal: str, figure: float, level: float, detail: str, at: datetime) -> bool:
        """A signal linked to the risk reached its level: a review is due. False (nothing recorded) while a review
        this signal prompted is still open, so a signal that stays high prompts once."""
        if any(p["signal"] == signal for p in self.open_prompts):
            return False
        self._review_prompted(signal, float(figure), float(level), required(detail, "the signal's detail"), at)
        return True

    @event("ReviewPrompted")
    def _review_prompted(self, signal: str, figure: float, level: float, detail: str, at: datetime) -> None:
        self.reviews.append(
            {
                "kind": "prompt",
                "signal": signal,
                "figure": figure,
                "level": level,
                "detail": detail,
                "at": at,
                "answered": None,
            }
        )

    def review(self, *, outcome: str, by: str, at: datetime) -> None:
        """The risk reviewed (its score kept): what was concluded; every open prompt is answered."""
        self._reviewed(required(outcome, "the review's outcome"), [p["signal"] for p in self.open_prompts], by, at)

    @event("Reviewed")
    def _reviewed(self, outcome: str, signals: list[str], by: str, at: datetime) -> None:
        self._answer_prompts(at)
        self.reviews.append({"kind": "review", "outcome": outcome, "signals": signals, "by": by, "at": at})

    def revise(self, *, by: str, at: datetime, **texts: Any) -> bool:
        """Change the texts given (None leaves a text as it is); False when nothing changes."""
        unknown = set(texts) - set(TEXT_FIELDS)
        if unknown:
            raise InvalidInput(f"a risk has no {', '.join(sorted(unknown))}")
        changes = {name: clean(value, name.replace("_", " ")) for name, value in texts.items() if value is not None}
        changes = {k: v for k, v in changes.items() if v != self.details.get(k)}
        if not changes:
            return False
        self._revised(changes, by, at)
        return True

    @event("Revised")
    def _revised(self, changes: dict[str, Any], by: str, at: datetime) -> None:
        self.details.update(changes)

    def request_action(self, measure: str, *, unit: str | None, by: str, at: datetime) -> str:
        """Ask for a corrective action to carry out a measure; the source reference names the risk and the
        request, so a repeated delivery opens one action."""
        text = required(measure, "the measure")
        number = len(self.action_requests) + 1
        source_ref = f"risk:{self.id}:{number}"
        self._action_requested(source_ref, text, clean(unit, "the unit"), by, at)
        return source_ref

    @event("ActionRequested")
    def _action_requested(self, source_ref: str, measure: str, unit: str | None, by: str, at: datetime) -> None:
        self.action_requests.append({"source_ref": source_ref, "measure": measure, "unit": unit, "by": by, "at": at})
