"""Paging of list endpoints: `limit` and `offset` query parameters, the total in the `X-Total-Count` header, so
that every list keeps its JSON array body and a client learns how many there are without fetching them all."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from fastapi import Response

from shared.validation import Limit, Offset

__all__ = ["TOTAL_HEADER", "Limit", "Offset", "page", "paged"]

T = TypeVar("T")

TOTAL_HEADER = "X-Total-Count"


def page(response: Response, items: Sequence[T], limit: int, offset: int) -> list[T]:
    """One page of an already complete list, with its total in the header."""
    response.headers[TOTAL_HEADER] = str(len(items))
    return list(items[offset : offset + limit])


def paged(response: Response, items: list[T], total: int) -> list[T]:
    """A page the store already cut, with the total it counted."""
    response.headers[TOTAL_HEADER] = str(total)
    return items
