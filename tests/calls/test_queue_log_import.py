"""`crm calls import-queue-log` exit codes: 0 every line used or already there, 1 some refused, 2 unreadable."""

from __future__ import annotations

import io
from pathlib import Path

from services.calls.queue_log import import_queue_log

QUEUE_LOG = Path(__file__).parent / "fixtures" / "queue_log"


def run(settings, path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = import_queue_log(settings, path, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def test_a_log_whose_every_line_is_used_exits_0_and_so_does_its_replay(settings, tmp_path) -> None:
    clean = tmp_path / "queue_log"
    clean.write_text(
        "1710221401|1710221400.101|601|NONE|ENTERQUEUE||09131234567|1\n"
        "1710221413|1710221400.101|601|PJSIP/201|CONNECT|12|1710221401.102|4\n"
        "1710221597|1710221400.101|601|PJSIP/201|COMPLETECALLER|12|184|1\n"
        "1710222000|NONE|NONE|NONE|CONFIGRELOAD|\n",
        encoding="utf-8",
    )
    assert run(settings, clean)[0] == 0
    code, out, _ = run(settings, clean)
    assert (code, "0 applied, 3 duplicate" in out) == (0, True)


def test_a_log_with_refused_lines_exits_1_and_names_them(settings) -> None:
    code, out, err = run(settings, QUEUE_LOG)
    assert code == 1
    assert "queue_log:39:" in err and "queue_log:42: held" in err
    assert "28 applied" in out


def test_a_file_that_cannot_be_read_exits_2_and_imports_nothing(settings, tmp_path) -> None:
    code, out, err = run(settings, tmp_path)  # a directory
    assert (code, out) == (2, "")
    assert f"crm: {tmp_path}: cannot read" in err


def test_a_file_that_is_not_a_queue_log_exits_2(settings, tmp_path) -> None:
    members = tmp_path / "members.csv"
    members.write_text("membership_number,name,phone\n11-2233,Sepahan Steel,09131234567\n", encoding="utf-8")
    code, _, err = run(settings, members)
    assert code == 2
    assert "not a queue_log" in err
