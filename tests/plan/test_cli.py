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


def test_the_printable_report_comes_out_of_the_cli_in_persian_once_a_plan_is_imported(settings):
    from services.plan.main import print_plan_report

    err = io.StringIO()
    assert print_plan_report(settings, 4, 2026, "fa", out=io.StringIO(), err=err) == 2
    assert "no strategic plan" in err.getvalue()
    import_plan_file(settings, SEED, out=io.StringIO(), err=io.StringIO())
    out = io.StringIO()
    assert print_plan_report(settings, 4, 2026, "fa", out=out) == 0
    assert '<html lang="fa" dir="rtl">' in out.getvalue() and "۱۴۰۵/۰۷/۰۹" in out.getvalue()


def test_crm_plan_report_is_a_command_of_the_cli(settings, tmp_path, monkeypatch, capsys):
    from services import cli

    monkeypatch.setenv("CRM_DATA_DIR", str(settings.data_dir))
    assert cli.main(["plan", "import", str(SEED)]) == 0
    assert cli.main(["plan", "report", "--quarter", "2", "--lang", "tr"]) == 0
    assert '<html lang="tr" dir="ltr">' in capsys.readouterr().out
