"""What every service's HTTP layer does with hostile or odd requests: bodies too large (announced or chunked),
lists too long, floods of validation errors, bodies that are not UTF-8, wrong methods, control characters, and
documentation pages that must work without internet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.calls.main import create_app
from shared.problems import MAX_LISTED_ERRORS
from shared.service import BodyLimit
from tests.helpers import assert_problem


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def nothing_stored(client: TestClient) -> bool:
    return not client.app.state.centre.recorder.max_notification_id()


def test_a_body_announced_larger_than_the_limit_is_refused_before_it_is_read(client, tokens, settings) -> None:
    body = b"[" + b"0," * settings.http_max_body_bytes + b"0]"
    response = client.post(
        "/telephony/events", content=body, headers={**tokens["telephony"], "Content-Type": "application/json"}
    )
    assert_problem(response, 413, "at most 1 MiB")
    assert nothing_stored(client)


def test_a_chunked_body_without_length_is_cut_off_at_the_limit(client, tokens, settings) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(settings.http_max_body_bytes // 65536 + 2):
            yield b"0," * 32768
        yield b"0]"

    response = client.post(
        "/telephony/events", content=chunks(), headers={**tokens["telephony"], "Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "at most 1 MiB")


def test_a_route_may_have_its_own_body_limit(settings, clock, tokens) -> None:
    settings = settings.model_copy(update={"http_body_limits": {"/telephony/ami": 100}})
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        big = client.post("/telephony/ami", json=[{"Event": "PeerStatus", "Peer": "x" * 200}], headers=tokens["admin"])
        assert_problem(big, 413, "at most 100 bytes")
        other = client.post("/telephony/events", json=[], headers=tokens["admin"])
        assert other.status_code == 200, other.text


def test_a_body_announced_within_every_limit_reaches_the_route_as_sent() -> None:
    """A body no route could refuse (every staff command) is handed on with no counting of its own; one that some
    route's smaller limit could refuse is counted on its way, even on a route with the larger default."""
    seen: dict[str, Any] = {}

    async def route(scope: Any, receive: Any, send: Any) -> None:
        seen.update(receive=receive, send=send)

    limited = BodyLimit(route, default=1024, routes={"/telephony/ami": 10})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}"}

    async def send(message: Any) -> None:
        pass

    def request(length: int) -> dict[str, Any]:
        return {"type": "http", "path": "/calls/x/callback", "headers": [(b"content-length", str(length).encode())]}

    anyio.run(limited, request(10), receive, send)
    assert seen == {"receive": receive, "send": send}
    anyio.run(limited, request(11), receive, send)
    assert seen["receive"] is not receive and seen["send"] is not send


@pytest.mark.parametrize("path", ["/telephony/events", "/telephony/ami"])
def test_a_list_of_half_a_million_numbers_is_refused_by_its_length_with_a_short_answer(client, tokens, path) -> None:
    body = b"[" + b"0," * 499_999 + b"0]"
    response = client.post(path, content=body, headers={**tokens["telephony"], "Content-Type": "application/json"})
    problem = assert_problem(response, 422, "at most 1000 items")
    assert len(response.content) < 5_000
    assert len(problem["errors"]) <= MAX_LISTED_ERRORS


def test_validation_errors_are_listed_up_to_a_cap_and_the_rest_counted(client, tokens) -> None:
    response = client.post("/telephony/events", json=[{"event_id": "x"}] * 100, headers=tokens["telephony"])
    problem = assert_problem(response, 422)
    assert len(problem["errors"]) == MAX_LISTED_ERRORS
    more = re.search(r"and (\d+) more$", problem["detail"])
    assert more and int(more.group(1)) >= 100 * 3 - MAX_LISTED_ERRORS


def test_malformed_ami_batches_list_at_most_the_cap_of_errors(client, tokens) -> None:
    response = client.post("/telephony/ami", json=[{"Peer": "x"}] * 300, headers=tokens["telephony"])
    problem = assert_problem(response, 422, "and 280 more")
    assert len(problem["errors"]) == MAX_LISTED_ERRORS


def test_a_body_that_is_not_utf8_gets_a_clear_problem(client, tokens) -> None:
    response = client.post(
        "/telephony/events",
        content=b'{"event_id": "caf\xe9"}',
        headers={**tokens["telephony"], "Content-Type": "application/json"},
    )
    problem = assert_problem(response, 400, "UTF-8")
    assert problem["title"] == "Body is not UTF-8"


def test_a_wrong_method_says_which_are_allowed(client, tokens) -> None:
    response = client.delete("/telephony/events", headers=tokens["telephony"])
    assert_problem(response, 405)
    assert response.headers["allow"] == "POST"
    # /calls is read with GET and written with POST: Allow names both, not just the first route's method.
    response = client.delete("/calls", headers=tokens["admin"])
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "where"),
    [
        ("get", "/calls", {"params": {"unit": "trade\x00"}}, "query.unit"),
        ("get", "/calls", {"params": {"member_id": "a\x1bb"}}, "query.member_id"),
        ("post", "/calls", {"json": {"caller": "0913\x00", "unit": "trade"}}, "body.caller"),
        ("post", "/telephony/ami", {"json": {"Event": "QueueCallerJoin", "Queue": "60\x002"}}, "body.Queue"),
    ],
)
def test_control_characters_anywhere_in_a_request_are_422(client, tokens, method, path, kwargs, where) -> None:
    response = getattr(client, method)(path, headers=tokens["admin"], **kwargs)
    assert_problem(response, 422, f"{where}: contains the control character")
    assert nothing_stored(client)


def test_free_text_keeps_its_tabs_and_line_breaks(client, tokens) -> None:
    call = client.post("/calls", json={"caller": "09131234567", "unit": "trade"}, headers=tokens["expert"]).json()
    client.post(f"/calls/{call['id']}/unit-not-answered", headers=tokens["sg"])
    client.post(f"/calls/{call['id']}/transfer-to-member-relations", headers=tokens["sg"])
    response = client.post(
        f"/calls/{call['id']}/subject", json={"subject": "line one\r\n\tline two"}, headers=tokens["expert"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == "line one\r\n\tline two"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/calls", {"offset": "99999999999999999999"}),
        ("/calls", {"offset": "1000001"}),
        ("/calls", {"limit": "99999999999999999999"}),
        ("/telephony/rejections", {"limit": "99999999999999999999"}),
    ],
)
def test_paging_parameters_are_bounded(client, tokens, path, params) -> None:
    assert_problem(client.get(path, params=params, headers=tokens["admin"]), 422, "query.")


def test_the_api_documentation_uses_only_assets_served_by_the_service(client) -> None:
    for page in ("/docs", "/redoc"):
        response = client.get(page)
        assert response.status_code == 200
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']|url: ?["']([^"']+)["']""", response.text)
        urls = [u for pair in urls for u in pair if u]
        assert urls, response.text
        assert all(u.startswith("/") for u in urls), urls
        for url in urls:
            asset = client.get(url)
            assert asset.status_code == 200, url
            assert asset.content


def test_a_json_body_nested_beyond_reason_on_a_route_without_body_is_not_a_500(client, tokens) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = client.request(
        "GET", "/calls", content=body, headers={**tokens["sg"], "Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
