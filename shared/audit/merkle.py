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
        # The roots of the full subtrees so far, largest first: one for each 1 bit of `size`, so a new leaf merges
        # with as many of them as `size` has trailing 1 bits, and the sizes need not be kept.
        self._stack: list[bytes] = []
        self.size = 0

    def add(self, data: bytes) -> None:
        # add_hash(leaf_hash(data)) without the calls: this runs once per exported or verified event.
        node = _sha256(b"\x00" + data).digest()
        stack, n = self._stack, self.size
        while n & 1:
            node = _sha256(b"\x01" + stack.pop() + node).digest()
            n >>= 1
        stack.append(node)
        self.size += 1

    def add_hash(self, digest: bytes) -> None:
        node, stack, n = digest, self._stack, self.size
        while n & 1:
            node = node_hash(stack.pop(), node)
            n >>= 1
        stack.append(node)
        self.size += 1

    def add_hashes(self, digests: bytes) -> None:
        """add_hash of each 32-byte leaf hash in `digests`, one after the other, in one loop."""
        stack, sha256, size = self._stack, _sha256, self.size
        for i in range(0, len(digests), 32):
            node, n = digests[i : i + 32], size
            while n & 1:
                node = sha256(b"\x01" + stack.pop() + node).digest()
                n >>= 1
            stack.append(node)
            size += 1
        self.size = size

    def root(self) -> str:
        if not self._stack:
            return EMPTY_ROOT
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
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
