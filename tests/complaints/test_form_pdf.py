"""Form ME-FR-01-01-01 as a PDF: Persian shaped right to left with Persian digits, Turkish left to right, every
step with who and when. The text and where it sits on the page are read back with poppler's pdftotext."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.complaints.test_api import advance, app, register, step, who  # noqa: F401 - fixtures

BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e]")
A4_WIDTH_PT = 595.28
MARGIN_PT = 15 * 72 / 25.4
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"')


def title_line(boxes: str) -> tuple[float, float]:
    """Where the first line of the first page (the title) starts and ends, in points from the left edge."""
    words = [(float(a), float(y), float(b)) for a, y, b in WORD.findall(boxes)]
    top = min(y for _, y, _ in words)
    line = [(a, b) for a, y, b in words if abs(y - top) < 3]
    return min(a for a, _ in line), max(b for _, b in line)


def pdftotext(pdf: bytes, tmp_path: Path, *args: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: `make browser` installs poppler-utils")
    path = tmp_path / "form.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, check=True)
    return BIDI_MARKS.sub("", out.stdout.decode("utf-8"))


def test_the_pdf_is_persian_right_to_left_with_persian_digits_and_every_step(client: TestClient, who, tmp_path) -> None:  # noqa: F811
    cid = register(client, who, description="fee charged twice: 1250000 rials")["id"]
    advance(client, who, cid, "decided")
    response = client.get(f"/complaints/{cid}/form/pdf", headers=who["mr_manager"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF-")
    assert response.headers["content-disposition"].startswith('attachment; filename="ME-FR-01-01-01-')
    text = pdftotext(response.content, tmp_path)
    assert "انتقادات و پیشنهادها" in text
    # (Words with the lam-alef ligature are left out: pdftotext reads that one glyph back as its letters reversed.)
    for title in ("ثبت در فرم شکایت", "وصول به عضو", "ارجاع به دبیرکل", "تعیین رسیدگی‌کننده", "تصمیم دبیرکل"):
        assert title in text
    assert "p.mohammadi" in text and "h.tehrani" in text
    assert "۱۲۵۰۰۰۰" in text and "1250000" not in text  # the form's own figures in Persian digits
    assert re.search("۱۴۰۵/۰۸/۳۰", text)  # Solar Hijri dates
    # Right to left: the title ends at the right margin (15 mm), not at the left one.
    left, right = title_line(pdftotext(response.content, tmp_path, "-bbox"))
    assert abs(right - (A4_WIDTH_PT - MARGIN_PT)) < 5 and left > 3 * MARGIN_PT


def test_the_pdf_is_turkish_left_to_right(client: TestClient, who, tmp_path) -> None:  # noqa: F811
    cid = register(client, who)["id"]
    step(client, who, cid, "acknowledge", "expert", {"method": "phone"})
    response = client.get(f"/complaints/{cid}/form/pdf", params={"lang": "tr"}, headers=who["auditor"])
    text = pdftotext(response.content, tmp_path)
    assert "Şikâyet formuna kaydedildi" in text and "Alındığı üyeye bildirildi" in text
    left, right = title_line(pdftotext(response.content, tmp_path, "-bbox"))
    assert abs(left - MARGIN_PT) < 5 and right < A4_WIDTH_PT - 3 * MARGIN_PT
    assert client.get(f"/complaints/{cid}/form/pdf", params={"lang": "de"}, headers=who["auditor"]).status_code == 422
