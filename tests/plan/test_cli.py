"""`crm plan import FILE`: the version on stdout, each finding on stderr with the file's line."""

from __future__ import annotations

import io
from pathlib import Path

from services.plan.main import import_plan_file

SEED = Path(__file__).parent / "fixtures" / "strategic_plan_2024.tsv"


def test_importing_the_seed_twice_prints_version_one_then_unchanged(settings):
    out, err = io.StringIO(), io.StringIO()
    assert import_plan_file(settings, SEED, out=out, err=err) == 0
    assert import_plan_file(settings, SEED, out=out, err=io.StringIO()) == 0
    assert out.getvalue().splitlines() == [
        f"{SEED}: imported as version 1; 44 findings",
        f"{SEED}: unchanged, still version 1; 44 findings",
    ]
    assert f"{SEED}:37: target 1.2: activities, four-year target stated 45, rows sum to 49" in err.getvalue()


def test_a_file_that_is_no_plan_exits_2_and_says_why(settings, tmp_path):
    other = tmp_path / "members.csv"
    other.write_text("name,phone\nAli,0913\n", encoding="utf-8")
    err = io.StringIO()
    assert import_plan_file(settings, other, out=io.StringIO(), err=err) == 2
    assert "no activity" in err.getvalue()
