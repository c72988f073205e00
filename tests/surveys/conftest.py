"""The surveys service's fixtures: the app off Kafka, the conftest's tokens plus the president and another CRM
service, a questionnaire, and a project survey ready at each step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.surveys.main import create_app
from shared.auth import Role
from shared.envelope import CloudEvent

QUESTIONS: list[dict[str, Any]] = [
    {"key": "overall", "text": {"fa": "رضایت کلی", "tr": "Genel memnuniyet"}, "dissatisfaction_signal": True},
    {"key": "recommend", "kind": "yes_no", "text": {"tr": "Tavsiye eder misiniz?"}},
    {"key": "comments", "kind": "text", "text": {"fa": "پیشنهاد"}},
]
BOARD = [
    {"name": "president", "role": "president"},
    {"name": "sg", "role": "sg"},
    {"name": "m.karimi", "role": "mr_manager"},
]
MR_AND_TRADE = [
    {"name": "m.karimi", "role": "mr_manager"},
    {"name": "f.alavi", "role": "unit_manager", "unit": "trade"},
]


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def headers(tokens, token_store) -> dict[str, dict[str, str]]:
    """The shared tokens, the chamber's president and another CRM service."""
    president = token_store.create("president", Role.PRESIDENT)
    service = token_store.create("complaints", Role.SERVICE)
    return {
        **tokens,
        "president": {"Authorization": f"Bearer {president}"},
        "service": {"Authorization": f"Bearer {service}"},
    }


def member_event(subject: str, number: str, seq: int = 1, kind: str = "registered", **data: Any) -> CloudEvent:
    body = {"membership_number": number, "status": "active", **data} if kind == "registered" else data
    return CloudEvent(
        id=f"{subject}-{seq}",
        source="crm/members",
        type=f"crm.members.member.{kind}.v1",
        time="2026-11-20T08:00:00Z",
        subject=subject,
        sequence=seq,
        position=seq,
        data=body,
    )


@pytest.fixture
def questionnaire(client: TestClient, headers) -> str:
    r = client.post(
        "/questionnaires",
        json={"code": "card-desk", "title": "Card desk", "questions": QUESTIONS},
        headers=headers["mr_manager"],
    )
    assert r.status_code == 201, r.text
    return r.json()["id"]


@pytest.fixture
def project(client: TestClient, headers, questionnaire) -> str:
    """A project survey of the trade unit, requested and approved by the SG."""
    r = client.post(
        "/surveys/project",
        json={"subject": "Card renewal desk", "questionnaire_id": questionnaire},
        headers=headers["unit_manager"],
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert client.post(f"/surveys/{sid}/approve", headers=headers["sg"]).status_code == 200
    return sid
