"""GET /audit/events: the auditor's streaming export, the same bytes as `crm audit export` writes."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from services.members.main import create_app
from shared.audit.chain import split_line


@pytest.fixture
def client(members_store, clock):
    with TestClient(create_app(members_store, clock=clock, relay=False)) as client:
        yield client


def test_the_stream_is_the_export_file_of_the_service(client, tokens, export_dir):
    response = client.get("/audit/events", headers=tokens["auditor"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.content == (export_dir / "members.jsonl").read_bytes()
    assert len(response.content.splitlines()) == 24


def test_the_stream_keeps_to_the_days_asked(client, tokens):
    first = json.loads(split_line(client.get("/audit/events", headers=tokens["admin"]).content.splitlines()[0])[0])
    day = first["time"][:10]
    response = client.get("/audit/events", params={"from": day, "to": day}, headers=tokens["auditor"])
    assert len(response.content.splitlines()) == 24  # every event of the fixture was stored that day
    response = client.get("/audit/events", params={"from": "2001-01-01", "to": "2001-01-31"}, headers=tokens["auditor"])
    assert response.status_code == 200 and response.content == b""


@pytest.mark.parametrize("role", ["expert", "mr_manager", "sg", "monitoring", "telephony"])
def test_only_auditors_and_admins_may_read_the_stream(client, tokens, role):
    response = client.get("/audit/events", headers=tokens[role])
    assert response.status_code == 403
    assert client.get("/audit/events").status_code == 401


def test_bad_days_are_refused_with_a_problem(client, tokens):
    for params in ({"from": "2026-02-30"}, {"from": "1970-01-01"}, {"from": "2026-03-02", "to": "2026-03-01"}):
        response = client.get("/audit/events", params=params, headers=tokens["auditor"])
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
