"""The plan service stays in modules a reader takes in at once: none over 500 lines."""

from __future__ import annotations

from pathlib import Path

PLAN = Path(__file__).resolve().parents[2] / "services" / "plan"


def test_no_module_of_the_plan_service_is_over_500_lines():
    sizes = {
        p.relative_to(PLAN).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in PLAN.rglob("*.py")
    }
    assert len(sizes) > 10
    assert {name: n for name, n in sizes.items() if n > 500} == {}
