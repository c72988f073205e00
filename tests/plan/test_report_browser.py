"""The printed monitoring report as Chromium lays it out: the Persian page runs right to left (the first column of
each table on the right), plan codes and dates stay left to right inside it; the Turkish page runs left to right."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI

from services.plan.main import create_app
from tests.browser import screenshot

SEED = Path(__file__).parent / "fixtures" / "strategic_plan_2024.tsv"


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


def layout(page, html: str) -> dict:
    page.set_content(html)
    return page.evaluate(
        """() => {
            const cell = document.querySelector('tbody tr td');
            const table = cell.closest('table').getBoundingClientRect();
            const box = cell.getBoundingClientRect();
            const code = document.querySelector('td span[dir=ltr]');
            return {
                direction: getComputedStyle(document.body).direction,
                firstCellOnTheRight: table.right - box.right < 2,
                firstCellOnTheLeft: box.left - table.left < 2,
                codeDirection: getComputedStyle(code).direction,
            };
        }"""
    )


def test_the_persian_report_reads_right_to_left_and_the_turkish_left_to_right(client, tokens, page):
    client.post("/plan/imports", content=SEED.read_bytes(), headers={**tokens["sg"], "Content-Type": "text/plain"})
    fa = client.get("/plan/reports/quarterly.html", params={"quarter": 4, "lang": "fa"}, headers=tokens["sg"])
    found = layout(page, fa.text)
    screenshot(page, "plan-report-fa")
    assert found == {
        "direction": "rtl",
        "firstCellOnTheRight": True,
        "firstCellOnTheLeft": False,
        "codeDirection": "ltr",
    }
    tr = client.get("/plan/reports/quarterly.html", params={"quarter": 4, "lang": "tr"}, headers=tokens["sg"])
    found = layout(page, tr.text)
    assert (found["direction"], found["firstCellOnTheLeft"], found["firstCellOnTheRight"]) == ("ltr", True, False)
