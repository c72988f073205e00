"""Questionnaires of form ME-FR-02-01-01, versioned: each revision is a new version and the earlier ones stay
readable, so a survey keeps the version it was run with whatever is revised later.

Question kinds: a scale (1-5 unless said otherwise, with labels per language), yes/no, a choice, free text; a scale
or yes/no question may be marked as a dissatisfaction signal.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.errors import InvalidInput

SURVEY_NAMESPACE = uuid.UUID("0b6f3f0e-6d1c-4a8e-9f5b-3c1d7e2a9b41")
FORM = "ME-FR-02-01-01"
LANGUAGES = ("fa", "tr", "en")
MAX_QUESTIONS = 60
MAX_TEXT = 2000
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class QuestionKind(StrEnum):
    SCALE = "scale"  # 1..scale_max, 5 by default
    YES_NO = "yes_no"
    CHOICE = "choice"
    TEXT = "text"  # free text, never scored


SCORED = (QuestionKind.SCALE, QuestionKind.YES_NO)


def questionnaire_id(code: str) -> uuid.UUID:
    """A questionnaire's code names it: creating the same code twice finds the first."""
    return uuid.uuid5(SURVEY_NAMESPACE, f"questionnaire:{code}")


def clean_text(value: Any, what: str, limit: int = MAX_TEXT, *, required: bool = True) -> str | None:
    text = CONTROL.sub("", str(value if value is not None else "")).strip()
    if not text:
        if required:
            raise InvalidInput(f"give {what}")
        return None
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return text


def _texts(value: Any, what: str) -> dict[str, str]:
    """Text per language: at least one of fa, tr, en."""
    if isinstance(value, str):
        value = {"fa": value}
    if not isinstance(value, dict) or not value:
        raise InvalidInput(f"give {what} in at least one of {', '.join(LANGUAGES)}")
    out = {}
    for lang, text in value.items():
        if lang not in LANGUAGES:
            raise InvalidInput(f"{what}: language {lang!r} is not one of {', '.join(LANGUAGES)}")
        out[lang] = clean_text(text, f"{what} ({lang})", 500) or ""
    return out


def parse_question(raw: Any, position: int) -> dict[str, Any]:
    """One question of form ME-FR-02-01-01 as plain data; refuses what could not be asked or scored."""
    if not isinstance(raw, dict):
        raise InvalidInput(f"question {position} is not an object")
    key = str(raw.get("key") or "")
    if not _KEY.match(key):
        raise InvalidInput(f"question {position}: key {key!r} must be 1-40 lower-case letters, digits, - or _")
    try:
        kind = QuestionKind(raw.get("kind", QuestionKind.SCALE))
    except ValueError:
        raise InvalidInput(f"question {key}: kind must be one of {', '.join(k.value for k in QuestionKind)}") from None
    question: dict[str, Any] = {"key": key, "kind": kind.value, "text": _texts(raw.get("text"), f"question {key}")}
    if kind == QuestionKind.SCALE:
        scale_max = raw.get("scale_max", 5)
        if not isinstance(scale_max, int) or isinstance(scale_max, bool) or not 2 <= scale_max <= 10:
            raise InvalidInput(f"question {key}: scale_max is a whole number from 2 to 10")
        question["scale_max"] = scale_max
        labels = raw.get("labels") or {}
        if not isinstance(labels, dict):
            raise InvalidInput(f"question {key}: labels are a list per language")
        checked = {}
        for lang, names in labels.items():
            if lang not in LANGUAGES:
                raise InvalidInput(f"question {key}: label language {lang!r} is not one of {', '.join(LANGUAGES)}")
            if not isinstance(names, list) or len(names) != scale_max:
                raise InvalidInput(f"question {key}: give {scale_max} labels in {lang}, one per point of the scale")
            checked[lang] = [clean_text(n, f"question {key}: a label", 100) for n in names]
        question["labels"] = checked
    elif kind == QuestionKind.CHOICE:
        choices = raw.get("choices")
        if not isinstance(choices, list) or len(choices) < 2 or len(choices) > 20:
            raise InvalidInput(f"question {key}: a choice question has 2 to 20 choices")
        parsed = [_texts(c, f"question {key}: a choice") for c in choices]
        question["choices"] = parsed
    signal = bool(raw.get("dissatisfaction_signal", False))
    if signal and kind not in SCORED:
        raise InvalidInput(f"question {key}: only a scale or yes/no question can signal dissatisfaction")
    question["dissatisfaction_signal"] = signal
    return question


def parse_questions(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput("a questionnaire has at least one question")
    if len(raw) > MAX_QUESTIONS:
        raise InvalidInput(f"a questionnaire has at most {MAX_QUESTIONS} questions")
    questions = [parse_question(q, i + 1) for i, q in enumerate(raw)]
    keys = [q["key"] for q in questions]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise InvalidInput(f"question keys must differ: {', '.join(duplicates)} repeated")
    return questions


class Questionnaire(Aggregate):
    @event("Created")
    def __init__(self, *, code: str, title: str, questions: list[dict[str, Any]], by: str | None, at: datetime):
        self.code = code
        self.title = title
        self.versions: list[dict[str, Any]] = [{"number": 1, "questions": questions, "by": by, "at": at, "note": None}]
        self.created_at = at

    @classmethod
    def create_id(cls, *, code: str, **_: object) -> uuid.UUID:
        return questionnaire_id(code)

    @classmethod
    def create(cls, *, code: str, title: str, questions: Any, by: str | None, at: datetime) -> Questionnaire:
        code = str(code or "").strip()
        if not _KEY.match(code):
            raise InvalidInput("a questionnaire code is 1-40 lower-case letters, digits, - or _")
        return cls(
            code=code,
            title=clean_text(title, "the questionnaire's title", 300) or "",
            questions=parse_questions(questions),
            by=by,
            at=at,
        )

    @property
    def latest(self) -> int:
        return len(self.versions)

    def questions_of(self, version: int | None = None) -> list[dict[str, Any]]:
        number = version or self.latest
        if not 1 <= number <= self.latest:
            raise InvalidInput(f"questionnaire {self.code} has versions 1 to {self.latest}, not {number}")
        return self.versions[number - 1]["questions"]

    def revise(self, questions: Any, *, note: str | None, by: str | None, at: datetime) -> int:
        """A new version; the earlier ones stay as they were, for the surveys run with them."""
        self._revised(
            number=self.latest + 1,
            questions=parse_questions(questions),
            note=clean_text(note, "the note", required=False),
            by=by,
            at=at,
        )
        return self.latest

    @event("Revised")
    def _revised(self, number: int, questions: list[dict[str, Any]], note: str | None, by: str | None, at: datetime):
        self.versions.append({"number": number, "questions": questions, "by": by, "at": at, "note": note})


def parse_answers(questions: list[dict[str, Any]], raw: Any) -> dict[str, Any]:
    """A member's answers as the questionnaire allows them: a scale point from 1 to its maximum, true/false, the
    number of a choice (from 0), or text. A question left out was not answered; a key the questionnaire does not
    have is refused, so a typo never passes as an unanswered question."""
    if not isinstance(raw, dict):
        raise InvalidInput("answers are an object of question key to answer")
    by_key = {q["key"]: q for q in questions}
    unknown = sorted(set(raw) - set(by_key))
    if unknown:
        raise InvalidInput(f"no question {', '.join(unknown)} in this survey's questionnaire")
    answers: dict[str, Any] = {}
    for key, value in raw.items():
        if value is None:
            continue
        q = by_key[key]
        kind = q["kind"]
        if kind == QuestionKind.SCALE:
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= q["scale_max"]:
                raise InvalidInput(f"question {key}: answer a whole number from 1 to {q['scale_max']}")
        elif kind == QuestionKind.YES_NO:
            if not isinstance(value, bool):
                raise InvalidInput(f"question {key}: answer true or false")
        elif kind == QuestionKind.CHOICE:
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < len(q["choices"]):
                raise InvalidInput(f"question {key}: answer the number of a choice, from 0 to {len(q['choices']) - 1}")
        else:
            value = clean_text(value, f"question {key}'s answer", required=False)
            if value is None:
                continue
        answers[key] = value
    return answers


def dissatisfied(questions: list[dict[str, Any]], answers: dict[str, Any]) -> list[str]:
    """The dissatisfaction-signal questions answered at the bottom: a scale's lowest two points, or "no"."""
    low = []
    for q in questions:
        if not q.get("dissatisfaction_signal") or q["key"] not in answers:
            continue
        value = answers[q["key"]]
        if (q["kind"] == QuestionKind.SCALE and value <= 2) or (q["kind"] == QuestionKind.YES_NO and value is False):
            low.append(q["key"])
    return low
