"""Scores of a survey's answers, in pure functions (docs/procedures.md#survey-scores-and-thresholds).

- A scale question's percentage is its mean answer ÷ the scale's maximum × 100: a 1–5 question averaging 3.5 is
  70%. A yes/no question's is the share of yes × 100. Choice and text questions are not scored.
- A respondent's score is the mean of his or her scored answers' percentages (each answer ÷ the maximum × 100,
  yes 100, no 0).
- The overall score is the mean of the scored questions' percentages, so a question asked of few does not weigh
  less than one asked of all.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from services.surveys.domain.questionnaire import QuestionKind


def _answer_pct(question: dict[str, Any], value: Any) -> float | None:
    if question["kind"] == QuestionKind.SCALE and isinstance(value, int) and not isinstance(value, bool):
        return value / question["scale_max"] * 100
    if question["kind"] == QuestionKind.YES_NO and isinstance(value, bool):
        return 100.0 if value else 0.0
    return None


def _tally(kind: str, values: Iterable[Any]) -> Counter[Any]:
    """How often each answer the question's kind takes was given: scale and choice by their number, yes/no by
    True/False, text as one count under ""; anything else is not an answer of that kind."""
    tally: Counter[Any] = Counter()
    for v in values:
        if kind in (QuestionKind.SCALE, QuestionKind.CHOICE):
            if isinstance(v, int) and not isinstance(v, bool):
                tally[v] += 1
        elif kind == QuestionKind.YES_NO:
            if isinstance(v, bool):
                tally[v] += 1
        elif isinstance(v, str):
            tally[""] += 1
    return tally


def question_stats(question: dict[str, Any], values: list[Any]) -> dict[str, Any]:
    """n, mean, standard deviation (population), percentage and the distribution of one question's answers."""
    return _stats_of(question, _tally(question["kind"], values))


def _stats_of(question: dict[str, Any], tally: Counter[Any]) -> dict[str, Any]:
    kind = question["kind"]
    if kind == QuestionKind.SCALE:
        distribution = {str(p): tally.get(p, 0) for p in range(1, question["scale_max"] + 1)}
        weighted = [(float(p), c) for p, c in tally.items()]
    elif kind == QuestionKind.YES_NO:
        distribution = {"yes": tally.get(True, 0), "no": tally.get(False, 0)}
        weighted = [(1.0 if v else 0.0, c) for v, c in tally.items()]
    elif kind == QuestionKind.CHOICE:
        distribution = {str(i): tally.get(i, 0) for i in range(len(question.get("choices") or []))}
        n = sum(tally.values())
        return {"key": question["key"], "kind": kind, "n": n, "distribution": distribution, "scored": False}
    else:
        return {"key": question["key"], "kind": kind, "n": tally.get("", 0), "distribution": {}, "scored": False}
    n = sum(c for _, c in weighted)
    mean = sum(x * c for x, c in weighted) / n if n else None
    sd = math.sqrt(sum(c * (x - mean) ** 2 for x, c in weighted) / n) if n and mean is not None else None
    top = question["scale_max"] if kind == QuestionKind.SCALE else 1
    return {
        "key": question["key"],
        "kind": kind,
        "n": n,
        "mean": round(mean, 4) if mean is not None else None,
        "sd": round(sd, 4) if sd is not None else None,
        "percentage": round(mean / top * 100, 2) if mean is not None else None,
        "distribution": distribution,
        "scored": True,
    }


def survey_stats(questions: list[dict[str, Any]], responses: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Every question's statistics over the responses' answers, and the overall score: one pass over the answers
    (a round's 300,000 answers are tallied, not listed question by question)."""
    kinds = {q["key"]: q["kind"] for q in questions}
    given: dict[str, list[Any]] = {key: [] for key in kinds}
    count = 0
    for answers in responses:
        count += 1
        for key, value in answers.items():
            found = given.get(key)
            if found is not None:
                found.append(value)
    per_question = [_stats_of(q, _tally(q["kind"], given[q["key"]])) for q in questions]
    return {"responses": count, "questions": per_question, "overall": overall(per_question)}


def overall(per_question: list[dict[str, Any]]) -> float | None:
    pcts = [q["percentage"] for q in per_question if q.get("scored") and q.get("percentage") is not None]
    return round(sum(pcts) / len(pcts), 2) if pcts else None


def respondent_score(questions: list[dict[str, Any]], answers: dict[str, Any]) -> float | None:
    pcts = [p for q in questions if q["key"] in answers if (p := _answer_pct(q, answers[q["key"]])) is not None]
    return round(sum(pcts) / len(pcts), 2) if pcts else None


def below_thresholds(
    *,
    kind: str,
    survey_id: str,
    subject: str,
    unit: str | None,
    questions: list[dict[str, Any]],
    stats: dict[str, Any],
    question_threshold: float,
    overall_threshold: float,
    min_responses: int,
) -> list[dict[str, Any]]:
    """The complaints a survey's scores call for, each with a source reference that names the survey and the
    question, so that evaluating again (every week, at the close) never opens a second one.

    Project survey: one complaint for the survey per question below the threshold, to the requesting unit.
    Periodic round: one per question below the threshold and one for the overall score below its threshold, to the
    SG; none before `min_responses` have answered, since a few early answers say little about the membership."""
    periodic = kind == "periodic"
    if stats["responses"] == 0 or (periodic and stats["responses"] < min_responses):
        return []
    texts = {q["key"]: q["text"] for q in questions}
    where = "Periodic survey" if periodic else "Project survey"
    out = []
    for q in stats["questions"]:
        pct = q.get("percentage")
        if not q.get("scored") or pct is None or pct >= question_threshold:
            continue
        text = texts.get(q["key"], {})
        wording = text.get("fa") or text.get("tr") or text.get("en") or q["key"]
        out.append(
            {
                "source_ref": f"surveys:{survey_id}:question:{q['key']}:below_threshold",
                "source": "surveys",
                "description": (
                    f"{where} {subject}: question {q['key']} ({wording}) scored {pct:g}% over {q['n']} answers, "
                    f"below the threshold of {question_threshold:g}%"
                ),
                "member_number": None,
                "unit": None if periodic else unit,
                "service": subject,
            }
        )
    total = stats.get("overall")
    if periodic and total is not None and total < overall_threshold:
        out.append(
            {
                "source_ref": f"surveys:{survey_id}:overall:below_threshold",
                "source": "surveys",
                "description": (
                    f"{where} {subject}: overall satisfaction {total:g}% over {stats['responses']} responses, "
                    f"below the threshold of {overall_threshold:g}%"
                ),
                "member_number": None,
                "unit": None,
                "service": subject,
            }
        )
    return out
