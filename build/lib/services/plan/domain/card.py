"""Reading the risk register from a process card's export (`000_*`): the table headed PROSES / RİSKLER / RİSK
BÖLGESİ / ETKİ / PUANLAMA (O, Ş, R, öncelik) / MEVCUT ÖNLEMLER / ALINACAK ÖNLEMLER / KONTROL, up to the legend
("Risk Öncelik Durumu"). The process cell is filled on the first risk only and holds for the rows below it.

The card states R and the priority band itself; they are kept as stated so that a card whose R is not O × Ş, or
whose band does not follow from R, can be reported rather than silently corrected.
"""

from __future__ import annotations

import re
from typing import Any

from services.plan.domain.risk import band
from services.plan.domain.sheet import turkish_number
from shared.errors import InvalidInput

PROCESS, RISK, AREA, EFFECT, PROB, SEV, SCORE, PRIORITY, CURRENT, PLANNED, CONTROL = range(11)
_DOCUMENT = re.compile(r"^Dok[üu]man No$", re.IGNORECASE)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.rstrip("\r\n").split("\t")]


def _cell(cells: list[str], i: int) -> str:
    return cells[i] if i < len(cells) else ""


def _int(text: str) -> int | None:
    try:
        value = turkish_number(text)
    except ValueError:
        return None
    return value if isinstance(value, int) else None


def parse_card(text: str) -> dict[str, Any]:
    """The card's document number and its risks, each with its line and the card's own R and band."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    card: dict[str, Any] = {"document": None, "title": None, "risks": [], "findings": []}
    in_table = False
    process = None
    for number, line in enumerate(lines, start=1):
        cells = _cells(line)
        if not any(cells):
            continue
        if card["title"] is None and "PROSES KARTI" in cells[0].upper():
            card["title"] = cells[0]
        if _DOCUMENT.match(cells[0]):
            card["document"] = _cell(cells, 1) or None
            continue
        if cells[0].upper() == "PROSES" and "SK" in _cell(cells, RISK).upper():
            in_table = True
            continue
        if not in_table:
            continue
        if cells[0].casefold().startswith("risk ö") or cells[0].casefold().startswith("risk o"):
            break  # the legend of bands and scales closes the table
        title = _cell(cells, RISK)
        if not title:
            continue  # the O / Ş / R / öncelik sub-header
        process = cells[0] or process
        probability, severity = _int(_cell(cells, PROB)), _int(_cell(cells, SEV))
        stated_r, stated_band = _int(_cell(cells, SCORE)), _int(_cell(cells, PRIORITY))
        risk = {
            "line": number,
            "process": process,
            "title": title,
            "area": _cell(cells, AREA) or None,
            "effect": _cell(cells, EFFECT) or None,
            "probability": probability,
            "severity": severity,
            "stated_score": stated_r,
            "stated_band": stated_band,
            "current_measures": _cell(cells, CURRENT) or None,
            "planned_measures": _cell(cells, PLANNED) or None,
            "control_record": _cell(cells, CONTROL) or None,
        }
        card["risks"].append(risk)
        if not (probability and 1 <= probability <= 5 and severity and 1 <= severity <= 5):
            card["findings"].append(
                {"kind": "score_unreadable", "line": number, "detail": f"{title}: O and Ş must be 1 to 5"}
            )
            continue
        computed = probability * severity
        if stated_r is not None and stated_r != computed:
            card["findings"].append(
                {
                    "kind": "score_mismatch",
                    "line": number,
                    "detail": f"{title}: R stated {stated_r}, O × Ş = {computed}",
                }
            )
        if stated_band is not None and stated_band != band(computed)["band"]:
            card["findings"].append(
                {
                    "kind": "band_mismatch",
                    "line": number,
                    "detail": f"{title}: priority stated {stated_band}, R {computed} is band {band(computed)['band']}",
                }
            )
    if not card["risks"]:
        raise InvalidInput("no risk register (a table headed PROSES, RİSKLER ...) found in the file")
    return card
