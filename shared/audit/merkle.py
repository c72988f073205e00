"""Merkle trees as in RFC 6962 / RFC 9162 (Certificate Transparency): leaves hashed with a 0x00 prefix, nodes with
0x01, so a leaf can never pass for a node; a tree of n leaves splits at the largest power of two below n."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


class MerkleBuilder:
    """The root of a stream of leaves in O(log n) memory: full subtrees are merged as they complete, and the
    remaining ones folded from the right at the end, which is the RFC 6962 shape."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []
        self.size = 0

    def add(self, data: bytes) -> None:
        # add_hash(leaf_hash(data)) without the calls: this runs once per exported or verified event.
        size, node = 1, _sha256(b"\x00" + data).digest()
        stack = self._stack
        while stack and stack[-1][0] == size:
            node = _sha256(b"\x01" + stack.pop()[1] + node).digest()
            size *= 2
        stack.append((size, node))
        self.size += 1

    def add_hash(self, digest: bytes) -> None:
        size, node = 1, digest
        stack = self._stack
        while stack and stack[-1][0] == size:
            _, left = stack.pop()
            size, node = size * 2, node_hash(left, node)
        stack.append((size, node))
        self.size += 1

    def add_hashes(self, digests: bytes) -> None:
        """add_hash of each 32-byte leaf hash in `digests`, one after the other, in one loop."""
        stack, sha256 = self._stack, _sha256
        for i in range(0, len(digests), 32):
            size, node = 1, digests[i : i + 32]
            while stack and stack[-1][0] == size:
                node = sha256(b"\x01" + stack.pop()[1] + node).digest()
                size *= 2
            stack.append((size, node))
        self.size += len(digests) // 32

    def root(self) -> str:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node.hex()


def root_of(leaves: Sequence[bytes]) -> str:
    builder = MerkleBuilder()
    for digest in leaves:
        builder.add_hash(digest)
    return builder.root()


def _subtree(leaves: Sequence[bytes], lo: int, hi: int) -> bytes:
    builder = MerkleBuilder()
    for i in range(lo, hi):
        builder.add_hash(leaves[i])
    return bytes.fromhex(builder.root())


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[str]:
    """The audit path of leaf `index` (RFC 6962 section 2.1.1), nearest sibling first."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    path: list[str] = []
    lo, hi = 0, len(leaves)
    siblings: list[bytes] = []
    while hi - lo > 1:
        k = 1 << ((hi - lo - 1).bit_length() - 1)
        if index < lo + k:
            siblings.append(_subtree(leaves, lo + k, hi))
            hi = lo + k
        else:
            siblings.append(_subtree(leaves, lo, lo + k))
            lo = lo + k
    path = [s.hex() for s in reversed(siblings)]
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[str]) -> str | None:
    """The root that an inclusion path leads to (RFC 9162 section 2.1.3.2), or None when the path cannot belong
    to a tree of `size` leaves."""
    if not 0 <= index < size:
        return None
    fn, sn, node = index, size - 1, leaf
    for sibling_hex in path:
        sibling = bytes.fromhex(sibling_hex)
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            node = node_hash(sibling, node)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            node = node_hash(node, sibling)
        fn >>= 1
        sn >>= 1
    return node.hex() if sn == 0 else None
