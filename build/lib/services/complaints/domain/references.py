"""Identities of complaints: the tracking reference given to the member, and ids derived from references and
from the source reference of another service (the same source always names the same complaint)."""

from __future__ import annotations

import hashlib
import secrets
import uuid

COMPLAINT_NAMESPACE = uuid.UUID("0b5d4c36-2f0e-4d7b-9a61-7c1e3e9f4a28")
# Crockford's base32 without I, L, O, U: a reference read out over the phone is not misheard.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def complaint_id_for_source(source_ref: str) -> uuid.UUID:
    """The same source reference (a survey answer, a desk problem) always names the same complaint."""
    return uuid.uuid5(COMPLAINT_NAMESPACE, f"source:{source_ref}")


def complaint_id_for_reference(reference: str) -> uuid.UUID:
    return uuid.uuid5(COMPLAINT_NAMESPACE, f"reference:{reference}")


def _base32(data: bytes, length: int) -> str:
    n = int.from_bytes(data, "big")
    out = []
    for _ in range(length):
        n, r = divmod(n, 32)
        out.append(_REFERENCE_ALPHABET[r])
    return "".join(out)


def _format_reference(code: str) -> str:
    return f"C-{code[:4]}-{code[4:8]}"


def new_reference() -> str:
    """A tracking reference to give the member: C-XXXX-XXXX, 40 random bits, easy to read out."""
    return _format_reference(_base32(secrets.token_bytes(5), 8))


def reference_for_source(source_ref: str) -> str:
    return _format_reference(_base32(hashlib.sha256(source_ref.encode()).digest()[:5], 8))
