"""The platform under abuse: the token cache stays bounded, proxy headers count only from configured proxies, and
a follower that cannot apply an event says so on /health instead of retrying unseen."""

from __future__ import annotations

import secrets
from typing import Any

import uvicorn
from fastapi.testclient import TestClient

from services import cli
from services.members.main import create_app as members_app
from shared.auth import TokenStore


def test_the_token_cache_stays_bounded_under_random_tokens(settings) -> None:
    store = TokenStore(settings.auth_db_url, cache_size=500)
    token = store.create("z.rahimi", "expert", "member_relations")
    for _ in range(3000):
        assert store.verify("crm_" + secrets.token_urlsafe(32)) is None
    assert store.cache_size() <= 500
    assert store.verify(token).name == "z.rahimi"


def test_an_unknown_token_is_remembered_only_a_moment(settings, monkeypatch) -> None:
    store = TokenStore(settings.auth_db_url, cache_seconds=60)
    now = [1000.0]
    monkeypatch.setattr("shared.auth.time.monotonic", lambda: now[0])
    token = "crm_" + secrets.token_urlsafe(32)
    assert store.verify(token) is None
    # The token is created afterwards (a new operator's first request raced its creation): it works a moment later.
    with store.engine.begin() as conn:
        from shared.auth import hash_token, tokens

        conn.execute(
            tokens.insert().values(
                token_hash=hash_token(token),
                name="late",
                role="expert",
                unit=None,
                created_at=__import__("datetime").datetime.now(),
            )
        )
    now[0] += TokenStore.UNKNOWN_SECONDS + 0.1
    assert store.verify(token).name == "late"


def _client_seen(options: dict[str, Any], peer: str, forwarded: str) -> str:
    seen: dict[str, Any] = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(app, **options)
    config.load()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "headers": [(b"x-forwarded-for", forwarded.encode())],
        "client": (peer, 50000),
        "server": ("127.0.0.1", 8102),
    }

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        pass

    import asyncio

    asyncio.run(config.loaded_app(scope, receive, send))
    return seen["client"]


def test_forwarded_for_is_ignored_unless_the_peer_is_a_configured_proxy(settings) -> None:
    options = cli.proxy_options(settings)
    assert _client_seen(options, "127.0.0.1", "198.51.100.9") == "127.0.0.1"

    behind = cli.proxy_options(settings.model_copy(update={"trusted_proxies": "10.0.0.5"}))
    assert _client_seen(behind, "10.0.0.5", "198.51.100.9") == "198.51.100.9"
    assert _client_seen(behind, "127.0.0.1", "198.51.100.9") == "127.0.0.1"


def test_serve_passes_the_proxy_settings_to_uvicorn(settings, monkeypatch) -> None:
    captured: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: captured.update(kw))
    cli._serve("members", settings)
    assert captured["proxy_headers"] is False and captured["forwarded_allow_ips"] == ""


# -- followers -----------------------------------------------------------------------------------------------------


def _members_health_with_failing_index(settings, clock) -> dict:
    app = members_app(settings, clock=clock, relay=False)
    with TestClient(app) as client:
        follower = app.state.index.follower
        original = follower.apply

        def broken(conn, notifications):
            raise RuntimeError("the index refused it")

        follower.apply = broken
        app.state.directory.register_member("1001", {"kind": "company", "name": "Good Co"})
        assert follower.step() is False
        response = client.get("/health")
        assert response.status_code == 503, response.text
        body = response.json()
        follower.apply = original
        assert follower.step() is True
        assert client.get("/health").status_code == 200
        return body


def test_a_follower_that_cannot_apply_an_event_makes_health_503(settings, clock) -> None:
    body = _members_health_with_failing_index(settings, clock)
    assert body["status"] == "failing"
    assert "the event after position 0" in body["index_failure"]
    assert "the index refused it" in body["index_failure"]


def test_a_stuck_follower_retries_less_and_less_often(settings, clock) -> None:
    from services.members.main import build_directory, build_index
    from shared.follower import MAX_RETRY_SECONDS

    directory = build_directory(settings, clock)
    try:
        follower = build_index(settings, directory).follower
        directory.register_member("1001", {"kind": "company", "name": "Good Co"})

        def broken(conn, notifications):
            raise RuntimeError("the index refused it")

        follower.apply = broken

        class Stop:
            def __init__(self) -> None:
                self.waits: list[float] = []

            def is_set(self) -> bool:
                return len(self.waits) >= 8

            def wait(self, seconds: float) -> bool:
                self.waits.append(seconds)
                return self.is_set()

        stop = Stop()
        follower.run(stop)  # returns once Stop has been waited on eight times
        assert stop.waits == sorted(stop.waits) and stop.waits[0] < stop.waits[-1] == MAX_RETRY_SECONDS
        assert "the index refused it" in follower.failure
    finally:
        directory.close()
