"""Assertions and helpers the API tests of every service share."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, detail_part: str | None = None) -> dict[str, Any]:
    """An RFC 9457 problem with this status, whose detail says (at least) `detail_part`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert body["title"]
    if detail_part is not None:
        assert detail_part in body["detail"], body["detail"]
    return body


def settle(app: FastAPI) -> None:
    """Bring the service's search index up to its event store, whatever the follower thread has done meanwhile."""
    for attempt in range(5):
        try:
            app.state.index.follower.catch_up()
            return
        except sa.exc.SQLAlchemyError:  # the follower thread committed the same batch first
            if attempt == 4:
                raise


def as_stored(app: Any, aggregate_id: Any, *, topic: str = "", lte: int | None = None) -> list[dict[str, Any]]:
    """The aggregate's events (those whose topic ends with `topic`) as its store holds them: each state deciphered,
    decompressed and decoded, but no sealed field opened: what someone holding the database file reads."""
    mapper = app.mapper
    found = []
    for stored in app.recorder.select_events(aggregate_id, lte=lte):
        if not stored.topic.endswith(topic):
            continue
        state = stored.state
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        found.append(mapper.transcoder.decode(state))
    return found
