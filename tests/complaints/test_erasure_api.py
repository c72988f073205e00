"""An operator erases a complainant at their request over the API: their name and numbers read [erased], the
complaint and its handling stay, and the erasure is final."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient

from shared.privacy import ERASED
from tests.complaints.test_api import STEPS, advance, app, register, who  # noqa: F401 - fixtures and builders
from tests.helpers import assert_problem


def test_an_operator_erases_a_complainant_and_the_complaint_stays(client: TestClient, who, tokens) -> None:  # noqa: F811
    c = register(client, who)
    assert c["complainant"]["name"] == "علی رضایی"
    response = client.post(
        f"/complaints/{c['id']}/complainant-erasure", json={"reason": "written request"}, headers=tokens["admin"]
    )
    assert response.status_code == 200, response.text
    erased = response.json()
    assert erased["complainant"]["name"] == ERASED
    assert all(v in (ERASED, None) for k, v in erased["complainant"].items() if k != "confidential")
    assert (erased["reference"], erased["state"], erased["description"]) == (c["reference"], c["state"], ERASED)
    shown = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
    assert shown["complainant"]["name"] == ERASED
    history = client.get(f"/complaints/{c['id']}/history", headers=who["mr_manager"]).json()
    assert history[-1]["type"] == "crm.complaints.complaint.complainant_erased.v1"
    assert history[-1]["data"]["reason"] == "written request"

    again = client.post(f"/complaints/{c['id']}/complainant-erasure", json={"reason": "x"}, headers=tokens["admin"])
    assert_problem(again, 409, "already erased")


def test_a_complainant_erasure_needs_a_reason_and_an_existing_complaint(client: TestClient, who, tokens) -> None:  # noqa: F811
    c = register(client, who)
    path = f"/complaints/{c['id']}/complainant-erasure"
    assert_problem(client.post(path, json={"reason": ""}, headers=tokens["admin"]), 422, "reason")
    missing = "/complaints/00000000-0000-4000-8000-000000000000/complainant-erasure"
    assert_problem(client.post(missing, json={"reason": "request"}, headers=tokens["admin"]), 404, "no complaint")
    assert client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()["complainant"]["name"] != ERASED


FREE_TEXTS = (
    "کارت بازرگانی",  # the description
    "please assign",  # the referral's note
    "waited for a signature",  # the investigation
    "card delays",  # the committee's subject
    "delay fee waived",  # its reasoning
    "missing deputy",  # its minutes
    "your card is issued",  # the message to the complainant
)


def test_free_texts_about_the_complainant_are_sealed_and_erased_with_them(client: TestClient, who, tokens, settings):  # noqa: F811
    c = register(client, who)
    advance(client, who, c["id"], "notified")
    with sqlite3.connect(settings.data_dir / "complaints.events.db") as db:
        stored = b"\n".join(bytes(r[0]) for r in db.execute("SELECT state FROM stored_events"))
    for text in FREE_TEXTS:
        assert text.encode() not in stored, text
    assert b"name a deputy signatory" in stored  # the chamber's corrective action is not about the person
    shown = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
    assert shown["description"] == c["description"]  # read in the clear while the complainant is known

    erase = client.post(
        f"/complaints/{c['id']}/complainant-erasure", json={"reason": "request"}, headers=tokens["admin"]
    )
    assert erase.status_code == 200, erase.text
    history = client.get(f"/complaints/{c['id']}/history", headers=who["mr_manager"]).json()
    text = str(history)
    for free in FREE_TEXTS:
        assert free not in text, free
    assert ERASED in text and "name a deputy signatory" in text
    assert history[-1]["data"]["reason"] == "request"  # the erasure's own reason stays readable
    erased = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
    assert (erased["description"], erased["state"]) == (ERASED, "notified")
