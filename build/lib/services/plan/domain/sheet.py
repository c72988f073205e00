"""Reading the strategic plan from its tab-separated export (`001_*`): aims (AMAÇ) → targets (HEDEF) → strategy
(STRATEJİ) → activities (`F.x.y.z`, each with its process `P.x.y`), each activity followed by its cost line
(Maliyet), each target closed by its stated totals (Toplam Faaliyet, Toplam Maliyet).

The export is a spreadsheet saved as text by hand, so it is read as it is, never refused for its irregularities:
Turkish numbers (`13.000` is thirteen thousand), `-` for none, X marks on the cost line instead of the activity
line, an X past December that pushes the unit and record one column right, a code used twice, a code of another
target, an aim heading given twice. Each irregularity is kept in the result so that the cross-check can report
it with its line; the plan as read is plain JSON-native data, stored as is in the plan's events.
"""

from __future__ import annotations

import re
from typing import Any

from shared.errors import InvalidInput

# The column layout of every activity table (its header row starts with "İlgili Proses"). Positions, not the
# header's month names: one table of the seed breaks them ("OC AK", "MAR T").
PROCESS, ACTIVITY, INDICATOR, FOUR_YEAR, YEAR = 0, 1, 2, 3, 4
FIRST_MONTH = 5
MONTHS = 12
TAIL = FIRST_MONTH + MONTHS  # responsible unit, then record/document

MAX_LINES = 5000  # the seed has 210; a file of another kind should not be read line by line for long

_AIM = re.compile(r"^AMA[ÇC]\s*(\d+)\s*\.?\s*(.*)$", re.IGNORECASE)
_TARGET = re.compile(r"^HEDEF\s*(\d+(?:\.\d+)*)\s*\.?\s*(.*)$", re.IGNORECASE)
_STRATEGY = re.compile(r"^STRATEJ[İI]\s*(\d+(?:\.\d+)*)\s*\.?\s*(.*)$", re.IGNORECASE)
_PROCESS = re.compile(r"^P\.\s*\d+(?:\.\s*\d+)*$")
_ACTIVITY = re.compile(r"^F\s*\.\s*(\d+(?:\s*\.\s*\d+)*)\s*\.?\s*(.*)$", re.DOTALL)
_YEAR = re.compile(r"(\d{4})")
_BUDGET = re.compile(r"B[üu]t[çc]e\s+Kodu\s*:\s*(\S+)", re.IGNORECASE)


def turkish_number(text: str | None) -> int | float | None:
    """`13.000` → 13000, `2,5` → 2.5, `-` or nothing → None. A cell that is no number raises ValueError."""
    cell = (text or "").strip().replace(" ", "")
    if cell in ("", "-", "–"):
        return None
    if not re.fullmatch(r"-?\d{1,3}(\.\d{3})*(,\d+)?|-?\d+(,\d+)?", cell):
        raise ValueError(f"{text!r} is not a number")
    value = float(cell.replace(".", "").replace(",", "."))
    return int(value) if value.is_integer() else value


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.rstrip("\r\n").split("\t")]


def _first_text(cells: list[str], start: int = 1) -> str:
    return next((c for c in cells[start:] if c), "")


def _marks(cells: list[str]) -> list[int]:
    """The months (1-12) marked X."""
    return [m + 1 for m in range(MONTHS) if _cell(cells, FIRST_MONTH + m).upper() == "X"]


def _cell(cells: list[str], i: int) -> str:
    return cells[i] if i < len(cells) else ""


def _number(cells: list[str], i: int, line: int, problems: list[dict[str, Any]]) -> int | float | None:
    try:
        return turkish_number(_cell(cells, i))
    except ValueError:
        problems.append({"kind": "not_a_number", "line": line, "text": _cell(cells, i)})
        return None


def _label_value(cells: list[str], label: str) -> str | None:
    """The cell after the one that starts with `label` ("Gözden Geçirme Sıklığı" → "3 ayda 1 kez ...")."""
    for i, cell in enumerate(cells):
        if cell.casefold().startswith(label.casefold()):
            return _first_text(cells, i + 1) or None
    return None


def parse_plan(text: str) -> dict[str, Any]:
    """The plan as read, with the line of everything in it. Refuses only a file that holds no activity at all."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"a strategic plan has at most {MAX_LINES} lines; this file has {len(lines)}")
    plan: dict[str, Any] = {"year": None, "aims": [], "targets": [], "activities": [], "problems": []}
    problems: list[dict[str, Any]] = plan["problems"]
    aims: dict[str, dict[str, Any]] = {}
    aim: dict[str, Any] | None = None
    target: dict[str, Any] | None = None
    activity: dict[str, Any] | None = None
    seen: dict[str, int] = {}

    for number, line in enumerate(lines, start=1):
        cells = _cells(line)
        first = cells[0] if cells else ""
        if not any(cells):
            continue
        if m := _AIM.match(first):
            code = m.group(1)
            title = re.sub(r"^AMA[ÇC]\s*\d+\s*\.?\s*", "", m.group(2) or _first_text(cells), flags=re.IGNORECASE)
            if code in aims:  # the seed heads aim 3 twice: the group of aims, then aim 3 itself
                aims[code]["titles"].append(title)
                aims[code]["lines"].append(number)
                aim = aims[code]
            else:
                aim = aims[code] = {"code": code, "title": title, "titles": [title], "line": number, "lines": [number]}
                plan["aims"].append(aim)
            continue
        if m := _TARGET.match(first):
            target = {
                "code": m.group(1),
                "aim": aim["code"] if aim else None,
                "title": m.group(2) or _first_text(cells),
                "strategy": None,
                "line": number,
                "review_frequency": None,
                "monitoring_frequency": None,
                "stated": {},
            }
            plan["targets"].append(target)
            activity = None
            continue
        if m := _STRATEGY.match(first):
            if target is not None:
                target["strategy"] = m.group(2) or _first_text(cells)
            continue
        if "lgili proses" in first.casefold():  # "İlgili": casefold gives the dotted İ two characters
            if plan["year"] is None and (y := _YEAR.search(_cell(cells, YEAR))):
                plan["year"] = int(y.group(1))
            continue
        if first.casefold().startswith("toplam faaliyet") and target is not None:
            target["stated"]["activities_four_year"] = _number(cells, FOUR_YEAR, number, problems)
            target["stated"]["activities_year"] = _number(cells, YEAR, number, problems)
            target["stated"]["activities_line"] = number
            target["review_frequency"] = _label_value(cells, "Gözden Geçirme")
            activity = None
            continue
        if first.casefold().startswith("toplam maliyet") and target is not None:
            target["stated"]["cost_four_year"] = _number(cells, FOUR_YEAR, number, problems)
            target["stated"]["cost_year"] = _number(cells, YEAR, number, problems)
            target["stated"]["cost_line"] = number
            target["monitoring_frequency"] = _label_value(cells, "İzleme") or _label_value(cells, "Izleme")
            activity = None
            continue
        if _cell(cells, INDICATOR).casefold() == "maliyet" and activity is not None and activity["cost"] is None:
            cost = activity["cost"] = _cost_line(cells, number, problems)
            if not activity["months"] and cost["months"]:
                # The schedule typed on the cost line: the only schedule the activity has, so it is the one kept.
                activity["months"] = cost["months"]
                activity["schedule_from_cost_line"] = True
            continue
        if _PROCESS.match(first.replace(" ", "")) or _ACTIVITY.match(_cell(cells, ACTIVITY)):
            activity = _activity_line(cells, number, target, problems)
            if activity is None:
                problems.append({"kind": "unreadable_line", "line": number, "text": line[:200]})
                continue
            seen[activity["code"]] = seen.get(activity["code"], 0) + 1
            if seen[activity["code"]] > 1:  # a code used twice: both kept, the later one keyed apart
                activity["key"] = f"{activity['code']}#{seen[activity['code']]}"
            plan["activities"].append(activity)
            continue
        problems.append({"kind": "unreadable_line", "line": number, "text": line[:200]})

    if not plan["activities"]:
        raise InvalidInput("no activity (a row with a process P.x.y and an activity F.x.y.z) found in the file")
    return plan


def _activity_line(
    cells: list[str], number: int, target: dict[str, Any] | None, problems: list[dict[str, Any]]
) -> dict[str, Any] | None:
    m = _ACTIVITY.match(_cell(cells, ACTIVITY))
    if m is None:
        return None
    code = "F." + re.sub(r"\s+", "", m.group(1))
    tail = cells[TAIL:]
    stray = sum(1 for c in tail if c.upper() == "X")
    texts = [(i, c) for i, c in enumerate(tail) if c and c.upper() != "X"]
    unit: str | None
    record: str | None
    if len(texts) >= 2:
        # An X past December pushes the unit and record one column right; they are still the first two texts.
        unit, record = texts[0][1], texts[1][1]
    elif len(texts) == 1:
        unit, record = (texts[0][1], None) if texts[0][0] == 0 else (None, texts[0][1])
    else:
        unit = record = None
    return {
        "key": code,
        "code": code,
        "title": m.group(2).strip(),
        "process": _cell(cells, PROCESS).replace(" ", "") or None,
        "target": target["code"] if target else None,
        "line": number,
        "indicator": _cell(cells, INDICATOR) or None,
        "four_year": _number(cells, FOUR_YEAR, number, problems),
        "year": _number(cells, YEAR, number, problems),
        "months": _marks(cells),
        "schedule_from_cost_line": False,
        "marks_past_december": stray,
        "unit": unit,
        "record": record,
        "cost": None,
    }


def _cost_line(cells: list[str], number: int, problems: list[dict[str, Any]]) -> dict[str, Any]:
    tail = cells[TAIL:]
    notes = [c for c in tail if c and c.upper() != "X"]
    budget = next((b.group(1) for c in notes if (b := _BUDGET.search(c))), None)
    return {
        "line": number,
        "four_year": _number(cells, FOUR_YEAR, number, problems),
        "year": _number(cells, YEAR, number, problems),
        "months": _marks(cells),
        "marks_past_december": sum(1 for c in tail if c.upper() == "X"),
        "notes": notes,
        "budget_code": budget,
    }
