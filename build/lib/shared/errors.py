"""The errors a rule of the chamber's procedure raises: plain exceptions, so domain modules need no web framework.

shared/problems.py turns them into RFC 9457 problem+json responses by their status.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the chamber's procedure refused the command; the message says which and why."""

    status = 409
    title = "Conflict with the current state"


class NotFound(DomainError):
    status = 404
    title = "Not found"


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"
