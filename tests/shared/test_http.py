"""The bounded body reader: what fits is read whole, what passes the limit is refused before it is all read."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from shared.http import ContentTooLarge, read_body, read_bounded
from shared.problems import install_problem_handlers
from tests.helpers import assert_problem


class Chunks:
    """A body sent in chunks, counting how many were pulled."""

    def __init__(self, *chunks: bytes):
        self.chunks = chunks
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


def test_a_body_within_the_limit_is_read_whole() -> None:
    body = asyncio.run(read_bounded(Chunks(b"abc", b"def", b""), 6, "too large"))
    assert body == b"abcdef"


def test_reading_stops_at_the_first_chunk_that_passes_the_limit() -> None:
    chunks = Chunks(b"a" * 4, b"b" * 4, b"c" * 4, b"d" * 4)
    with pytest.raises(ContentTooLarge, match="at most 6 bytes"):
        asyncio.run(read_bounded(chunks, 6, "at most 6 bytes"))
    assert chunks.pulled == 2


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/upload")
    async def upload(request: Request) -> dict[str, int]:
        return {"size": len(await read_body(request, 10, "the upload may be at most 10 bytes"))}

    return TestClient(app)


def test_a_request_within_the_limit_is_read(client: TestClient) -> None:
    response = client.post("/upload", content=b"0123456789")
    assert response.status_code == 200
    assert response.json() == {"size": 10}


def test_an_announced_length_over_the_limit_is_refused_with_413_problem(client: TestClient) -> None:
    body = assert_problem(client.post("/upload", content=b"x" * 11), 413, "at most 10 bytes")
    assert body["title"] == "Content too large"


def test_a_body_sent_without_a_length_is_refused_once_it_passes_the_limit(client: TestClient) -> None:
    def stream():
        for _ in range(100):
            yield b"x" * 4

    assert_problem(client.post("/upload", content=stream()), 413, "at most 10 bytes")
