"""Every module under services/ and shared/ stays one a reader takes in at once: at most 500 lines. A longer module
is allowed only while it is listed below with the reason."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 500

# path -> why it may be longer for now
EXCEPTIONS: dict[str, str] = {}


def sizes(root: Path) -> dict[str, int]:
    """Lines of every .py under root/services and root/shared, by path relative to root."""
    return {
        p.relative_to(root).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for top in ("services", "shared")
        for p in (root / top).rglob("*.py")
    }


def too_long(root: Path, exceptions: dict[str, str]) -> dict[str, int]:
    return {path: n for path, n in sizes(root).items() if n > LIMIT and path not in exceptions}


def test_no_module_under_services_or_shared_is_over_500_lines():
    assert len(sizes(ROOT)) > 100  # the walk found the code base, not an empty folder
    over = too_long(ROOT, EXCEPTIONS)
    assert over == {}, f"split these modules along their jobs (at most {LIMIT} lines each): {over}"


def test_every_exception_names_an_existing_module_with_a_reason():
    found = sizes(ROOT)
    assert [path for path in EXCEPTIONS if path not in found] == []
    assert all(reason.strip() for reason in EXCEPTIONS.values())


def test_the_guard_catches_a_long_module_anywhere_below_services_or_shared_unless_excepted(tmp_path):
    for path, lines in {
        "services/a/deep/big.py": LIMIT + 1,
        "services/a/fits.py": LIMIT,
        "shared/big.py": LIMIT + 40,
        "scripts/big.py": LIMIT * 2,  # outside services/ and shared/: not counted
        "services/a/notes.txt": LIMIT * 2,  # not a module
    }.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x = 1\n" * lines, encoding="utf-8")

    assert too_long(tmp_path, {}) == {"services/a/deep/big.py": LIMIT + 1, "shared/big.py": LIMIT + 40}
    assert too_long(tmp_path, {"shared/big.py": "to be split"}) == {"services/a/deep/big.py": LIMIT + 1}
