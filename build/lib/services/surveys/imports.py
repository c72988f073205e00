"""Results of an external online survey service (its CSV export) brought into a survey with a column mapping: which
column holds the membership number and which holds the answer to each question. Each row is one member's
response (channel `import`); a row that cannot be read is reported with its line number and the reason, and the
others are imported; a member who has answered already is skipped, so importing the same export twice adds
nothing."""

from __future__ import annotations

import csv
import io
from typing import Any

from services.surveys.application import SurveyOffice
from services.surveys.domain import ContactRefused, QuestionKind
from shared.errors import DomainError, InvalidInput

YES = {"yes", "y", "true", "1", "بله", "آری", "evet", "e"}
NO = {"no", "n", "false", "0", "خیر", "نه", "hayır", "hayir", "h"}
MAX_ROWS = 100_000


def _value(question: dict[str, Any], raw: str) -> Any:
    text = raw.strip()
    if not text:
        return None
    kind = question["kind"]
    if kind == QuestionKind.SCALE:
        digits = text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789"))
        if not digits.isdigit():
            raise InvalidInput(f"question {question['key']}: {text!r} is not a scale point")
        return int(digits)
    if kind == QuestionKind.YES_NO:
        low = text.lower()
        if low in YES:
            return True
        if low in NO:
            return False
        raise InvalidInput(f"question {question['key']}: {text!r} is neither yes nor no")
    if kind == QuestionKind.CHOICE:
        for i, choice in enumerate(question["choices"]):
            if text in choice.values():
                return i
        if text.isdigit() and int(text) < len(question["choices"]):
            return int(text)
        raise InvalidInput(f"question {question['key']}: {text!r} is not one of its choices")
    return text


def import_csv(
    office: SurveyOffice,
    survey_id: str,
    text: str,
    *,
    member_column: str,
    columns: dict[str, str],
    by: str | None,
) -> dict[str, Any]:
    """Import the export; returns how many responses were recorded, and the rows skipped with the reason."""
    questions = {q["key"]: q for q in office.questions_of(survey_id)}
    unknown = sorted(set(columns) - set(questions))
    if unknown:
        raise InvalidInput(f"the mapping names no question {', '.join(unknown)} of this survey")
    if not columns:
        raise InvalidInput("map at least one question to a column")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in [member_column, *columns.values()] if c not in header]
    if missing:
        raise InvalidInput(f"the file has no column {', '.join(repr(c) for c in missing)}")
    parsed: list[tuple[int, str, dict[str, Any]]] = []
    skipped = []
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            raise InvalidInput(f"an export has at most {MAX_ROWS} rows")
        number = (row.get(member_column) or "").strip()
        try:
            if not number:
                raise InvalidInput("no membership number")
            answers = {}
            for key, column in columns.items():
                value = _value(questions[key], row.get(column) or "")
                if value is not None:
                    answers[key] = value
        except DomainError as exc:
            skipped.append({"line": line, "membership_number": number or None, "reason": str(exc)})
            continue
        parsed.append((line, number, answers))
    # Recorded together, a few hundred to a transaction: an export of thousands of rows in seconds.
    refusals = office.record_responses(
        survey_id, [(number, answers) for _, number, answers in parsed], channel="import", by=by
    )
    for (line, number, _), refusal in zip(parsed, refusals, strict=True):
        if refusal is not None:
            reason = "answered already" if isinstance(refusal, ContactRefused) else str(refusal)
            skipped.append({"line": line, "membership_number": number, "reason": reason})
    skipped.sort(key=lambda x: int(x["line"] or 0))
    return {"imported": len(parsed) - sum(r is not None for r in refusals), "skipped": skipped}
