"""Reading request bodies with a bound: an upload is refused (413) as soon as it passes its limit."""

from __future__ import annotations

from collections.abc import AsyncIterable

from starlette.requests import Request

from shared.problems import DomainError


class ContentTooLarge(DomainError):
    status = 413
    title = "Content too large"


async def read_bounded(chunks: AsyncIterable[bytes], limit: int, message: str) -> bytes:
    """Every chunk up to `limit` bytes; one byte more stops the reading, so a huge body is never held in memory."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise ContentTooLarge(message)
        parts.append(chunk)
    return b"".join(parts)


async def read_body(request: Request, limit: int, message: str) -> bytes:
    """The request body, refused (413) before reading when its announced length passes `limit`, and while reading
    when a body sent without one (or lying about it) does."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise ContentTooLarge(message)
    return await read_bounded(request.stream(), limit, message)
