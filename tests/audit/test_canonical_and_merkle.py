"""Canonical JSON agrees with the RFC 8785 reference; Merkle roots and proofs agree with RFC 6962."""

from __future__ import annotations

import hashlib
import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import rfc8785

from shared.audit.canonical import canonical
from shared.audit.merkle import EMPTY_ROOT, inclusion_path, leaf_hash, root_from_path, root_of

ALPHABET = ["a", "Z", "é", "ش", "€", "\u2028", "\n", '"', "\\", "\x01", "\x7f", "😀", "\U00010000", " ", "1"]


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 7, 2**53 - 1, -(2**53) + 1, 123456789])
    if kind == 3:
        return rng.choice([0.5, -1.25, 1e21, 1e-7, 3.0, 0.1, 123.456, -0.0, 5e-324])
    if kind in (4, 5):
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(6)))
    if kind in (6, 7):
        return {
            "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 4))): random_value(rng, depth + 1)
            for _ in range(rng.randrange(4))
        }
    return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_canonical_json_equals_the_rfc8785_reference_on_random_values():
    rng = random.Random(8785)
    for _ in range(3000):
        value = random_value(rng)
        assert canonical(value) == rfc8785.dumps(value), value


def test_keys_outside_the_basic_plane_sort_by_utf16_as_rfc8785_says():
    value = {"\U0001f600": 1, "\ufb01": 2}
    assert canonical(value) == rfc8785.dumps(value)
    assert canonical(value).index("😀".encode()) < canonical(value).index("\ufb01".encode())


def test_event_values_become_the_strings_the_envelope_publishes():
    when = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    ident = uuid.UUID(int=5)
    value = {"at": when, "id": ident, "amount": Decimal("1.50"), "tags": {"b", "a"}}
    assert canonical(value) == rfc8785.dumps(
        {"at": when.isoformat(), "id": str(ident), "amount": "1.50", "tags": ["a", "b"]}
    )


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 section 2.1, as written."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


@pytest.mark.parametrize("size", [*range(0, 34), 100, 257])
def test_merkle_roots_and_every_inclusion_path_agree_with_rfc6962(size):
    leaves = [leaf_hash(b"event %d" % i) for i in range(size)]
    root = reference_root(leaves).hex()
    assert root_of(leaves) == root
    if size == 0:
        assert root == EMPTY_ROOT
    for index in range(size):
        path = inclusion_path(leaves, index)
        assert root_from_path(leaves[index], index, size, path) == root
        if size > 1:  # the same path proves nothing about another leaf or another position
            assert root_from_path(leaves[(index + 1) % size], index, size, path) != root
            assert root_from_path(leaves[index], (index + 1) % size, size, path) != root
