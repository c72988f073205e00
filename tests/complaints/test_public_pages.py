"""What a complainant sees without a login: refusals of the website form and of tracking in his or her language
(problem+json `title` and `detail` in fa, tr or en), and the HTML tracking page, right to left in Persian."""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi.testclient import TestClient

from tests.browser import screenshot, serve
from tests.complaints.test_api import (  # noqa: F401 - fixtures
    CONFIG,
    app,
    public_form,
    register,
    settle,
    submit,
    track,
    who,
)
from tests.helpers import assert_problem

TR = {"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.5"}


def test_a_refused_form_is_explained_in_the_chamber_s_language_by_default(client: TestClient) -> None:
    body = assert_problem(submit(client, public_form(description="x" * 501)), 422)
    assert body["title"] == "اطلاعات نادرست"
    assert body["detail"] == "شرح حداکثر ۵۰۰ نویسه می‌تواند باشد."  # the figure in Persian digits
    body = assert_problem(submit(client, public_form(name="")), 422)
    assert body["detail"] == "این موارد را بررسی کنید: نام"
    assert body["errors"][0]["loc"] == ["body", "name"]  # the machine-readable part is unchanged


def test_accept_language_and_the_form_s_choice_pick_the_language_of_the_refusal(client: TestClient) -> None:
    response = submit(client, public_form(email=None), headers=TR)
    body = assert_problem(response, 422, "telefon ya da e-posta")
    assert body["title"] == "Geçersiz bilgi" and response.headers["content-language"] == "tr"
    chosen = submit(
        client, public_form(email=None, language="tr"), ip="203.0.113.41", headers={"Accept-Language": "fa"}
    )
    assert assert_problem(chosen, 422)["detail"] == body["detail"]
    english = submit(client, public_form(email=None), ip="203.0.113.42", headers={"Accept-Language": "en"})
    assert assert_problem(english, 422)["detail"] == "phone or email: give a way to reach you"
    unknown_field = assert_problem(submit(client, public_form(kind="praise"), ip="203.0.113.43", headers=TR), 422)
    assert unknown_field["detail"] == "Şu alanları kontrol edin: tür"


def test_too_many_submissions_and_a_failed_tracking_are_told_in_turkish(client: TestClient) -> None:
    receipt = submit(client, headers=TR).json()
    wrong = track(client, receipt["reference"], "not-it", headers=TR)
    assert assert_problem(wrong, 404)["title"] == "Bulunamadı"
    assert "gizli kod" in wrong.json()["detail"]
    for _ in range(2):
        submit(client, ip="198.51.100.3")
    refused = submit(client, ip="198.51.100.4", headers=TR)
    for _ in range(3):
        refused = submit(client, ip="198.51.100.4", headers=TR)
    body = assert_problem(refused, 429)
    assert (body["title"], body["detail"]) == (
        "Çok fazla istek",
        "Çok fazla istek yapıldı; 600 saniye sonra yeniden deneyin.",
    )
    assert refused.headers["retry-after"] == "600"


# --- the HTML tracking page ---------------------------------------------------------------------------------------


def page_post(client: TestClient, ip: str = "203.0.113.20", headers: Any = None, **fields: str):
    return client.post("/public/complaints/track/page", data=fields, headers={"X-Forwarded-For": ip, **(headers or {})})


def test_the_tracking_page_asks_for_the_reference_and_secret_right_to_left_in_persian(client: TestClient) -> None:
    response = client.get("/public/complaints/track/page")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="fa" dir="rtl">' in html and "کد پیگیری" in html
    assert 'method="post"' in html and 'type="password"' in html  # the secret stays out of the address
    assert response.headers["cache-control"] == "no-store"
    turkish = client.get("/public/complaints/track/page", headers=TR).text
    assert '<html lang="tr" dir="ltr">' in turkish and "Takip kodu" in turkish


def test_the_page_shows_the_stage_and_dates_in_the_language_written_in(client: TestClient) -> None:
    receipt = submit(client, public_form(description="a private matter")).json()
    response = page_post(client, reference=receipt["reference"].lower(), secret=receipt["secret"])
    assert response.status_code == 200, response.text
    html = response.text
    assert 'dir="rtl"' in html and "دریافت شد و در حال بررسی است" in html
    assert "۱۴۰۵/" in html  # Solar Hijri dates in Persian digits
    assert receipt["secret"] not in html and "a private matter" not in html and "Ayşe" not in html
    assert (
        response.headers["cache-control"] == "no-store"
        and "default-src 'none'" in response.headers["content-security-policy"]
    )
    turkish = submit(client, public_form(), headers=TR).json()
    html = page_post(client, reference=turkish["reference"], secret=turkish["secret"]).text
    assert 'lang="tr"' in html and "Alındı ve inceleniyor" in html


def test_a_wrong_secret_a_missing_field_and_too_many_attempts_get_a_page_saying_so(client: TestClient) -> None:
    receipt = submit(client).json()
    wrong = page_post(client, reference=receipt["reference"], secret="guess")
    unknown = page_post(client, reference="C-AAAA-AAAA", secret=receipt["secret"])
    assert wrong.status_code == unknown.status_code == 404
    assert "یافت نشد" in wrong.text and receipt["reference"] in wrong.text  # the form again, reference kept
    assert page_post(client, reference=receipt["reference"], secret="", headers=TR).status_code == 422
    for _ in range(CONFIG.public_tracking_rate_limit):
        page_post(client, ip="198.51.100.30", reference=receipt["reference"], secret="guess")
    held = page_post(client, ip="198.51.100.30", reference=receipt["reference"], secret=receipt["secret"], headers=TR)
    assert held.status_code == 429 and held.headers["retry-after"] == "600"
    assert "saniye sonra yeniden deneyin" in held.text and "Alındı" not in held.text


def test_the_complainant_follows_the_message_in_the_browser(app, client: TestClient, page) -> None:  # noqa: F811
    receipt = submit(client).json()
    with serve(app, lifespan=False) as url:
        page.goto(f"{url}/public/complaints/track/page")
        assert page.locator("html").get_attribute("dir") == "rtl"
        page.fill("[name=reference]", receipt["reference"])
        page.fill("[name=secret]", receipt["secret"])
        screenshot(page, "complaints-tracking-form-fa")
        page.click("button[type=submit]")
        assert page.locator("#stage").inner_text() == "دریافت شد و در حال بررسی است"
        assert page.url.removeprefix(url) == "/public/complaints/track/page"  # nothing secret in the address
        screenshot(page, "complaints-tracking-status-fa")


# --- the CSV export for people ------------------------------------------------------------------------------------


def test_the_export_has_headings_in_the_language_asked_and_column_names_without(client: TestClient, app, who) -> None:  # noqa: F811
    register(client, who, by="mr_manager", confidential=True)
    settle(app)

    def rows(**params: str) -> list[list[str]]:
        response = client.get("/complaints/export", params=params, headers=who["mr_manager"])
        assert response.status_code == 200, response.text
        return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))

    plain = rows()
    assert plain[0][:3] == ["reference", "received_at", "received_at_local"] and plain[1][-1] == "yes"
    persian = rows(lang="fa")
    assert persian[0][0] == "کد پیگیری" and persian[0][-1] == "محرمانه" and persian[1][-1] == "بله"
    turkish = rows(lang="tr")
    assert turkish[0][:2] == ["Takip kodu", "Alınma zamanı (UTC)"] and turkish[1][-1] == "evet"
    assert persian[1][:-1] == plain[1][:-1] == turkish[1][:-1]  # the same data under each heading
    assert client.get("/complaints/export", params={"lang": "de"}, headers=who["mr_manager"]).status_code == 422
