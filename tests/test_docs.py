"""Citations of the procedures (docs/procedures.md, with a section anchor) in code and docs lead to a section."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROCEDURES = ROOT / "docs" / "procedures.md"


def slug(heading: str) -> str:
    """The anchor a Markdown heading gets on GitHub and in most renderers."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors() -> set[str]:
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", PROCEDURES.read_text(encoding="utf-8"), re.M)}


def cited() -> list[tuple[str, str]]:
    found = []
    files = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("services/**/*.py"), *ROOT.glob("tests/**/*.py")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        found += [(str(path.relative_to(ROOT)), a) for a in re.findall(r"procedures\.md#([\w\-]+)", text)]
        if path == PROCEDURES:
            found += [(str(path.relative_to(ROOT)), a) for a in re.findall(r"\]\(#([\w\-]+)\)", text)]
    return found


def test_the_slug_is_the_renderers_anchor() -> None:
    assert slug("Complaint decision and committee") == "complaint-decision-and-committee"
    assert slug("Surveys (planned)") == "surveys-planned"  # how GitHub makes an anchor of a heading


def test_every_citation_of_the_procedures_leads_to_a_section() -> None:
    known = anchors()
    citations = cited()
    assert len(citations) > 10
    missing = [(where, anchor) for where, anchor in citations if anchor not in known]
    assert not missing


def test_the_code_cites_the_procedures_of_this_repository() -> None:
    stale = [
        str(p.relative_to(ROOT))
        for p in [ROOT / "README.md", *ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py")]
        if "DOMAIN.md" in p.read_text(encoding="utf-8")
    ]
    assert not stale
