"""Digests made while the services run: every so often (CRM_AUDIT_DIGEST_SECONDS, hourly by default) each
event-sourced service signs the Merkle root of the events it published since its last digest, into
<data folder>/audit/digests/<service>/. An export made later is checked against them (`crm audit verify
--digests`): an event changed or removed in the store after its digest was signed no longer matches the root.
This is the model of CloudTrail's digest files; the leaves are the events' canonical JSON, as in exports.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.audit.canonical import canonical
from shared.audit.chain import MalformedLine, split_line
from shared.audit.export import EventReader
from shared.audit.merkle import MerkleBuilder, leaf_hash
from shared.audit.signing import fingerprint, sign, signature_ok
from shared.eventstore import CrmApplication

log = logging.getLogger(__name__)

FORMAT = "crm-audit-digest/1"
_NAME = re.compile(r"^(\d{12})-(\d{12})\.json$")


def digest_folder(data_dir: Path) -> Path:
    return data_dir / "audit" / "digests"


class Digester:
    """Signs digests of one service's store into its folder; the folder itself says where the last one ended."""

    # A digest covers at most this many events, so that one takes seconds even when a service first starts with
    # years of events in its store (the first round then writes several) and stopping never waits long for one.
    MAX_EVENTS = 100_000

    def __init__(
        self,
        application: CrmApplication,
        folder: Path,
        key: Ed25519PrivateKey,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self.application = application
        self.service = application.service
        self.folder = folder / self.service
        self.key = key
        self.clock = clock

    def last_position(self) -> int:
        if not self.folder.is_dir():
            return 0
        ends = [int(m.group(2)) for p in self.folder.iterdir() if (m := _NAME.match(p.name))]
        return max(ends, default=0)

    def make(self, upto: int) -> Path | None:
        """The digest of the events after the last digest up to position `upto` (at most MAX_EVENTS of them);
        None when there are none."""
        first = self.last_position() + 1
        if upto < first:
            return None
        tree = MerkleBuilder()
        last = first - 1
        upto = min(upto, first + self.MAX_EVENTS - 1)
        for position, event in EventReader(self.application).encoded(first=first, last=upto):
            tree.add(event)
            last = position
        if tree.size == 0:
            return None
        digest = {
            "format": FORMAT,
            "service": self.service,
            "first_position": first,
            "last_position": last,
            "events": tree.size,
            "merkle_root": tree.root(),
            "created_at": self.clock().astimezone(UTC).isoformat(),
            "public_key_sha256": fingerprint(self.key.public_key()),
        }
        body = canonical(digest)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{first:012d}-{last:012d}.json"
        # Written whole under a temporary name first: a crash must not leave a half digest that looks complete.
        partial = path.with_suffix(".partial")
        partial.write_bytes(canonical({"digest": digest, "signature": sign(self.key, body)}))
        partial.replace(path)
        return path


async def run_digests(
    digester: Digester, stop: asyncio.Event, interval: float, published: Callable[[], int | None]
) -> None:
    """Digests every `interval` seconds until caught up, and one more on shutdown so that what was published
    since the last round is digested too."""
    while True:
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except TimeoutError:
            pass
        try:
            while await asyncio.to_thread(digester.make, published() or 0) is not None and not stop.is_set():
                pass
        except OSError as exc:  # a full disk must not take the service down; the next round tries again
            log.error("audit digest of %s not written: %s", digester.service, exc)
        if stop.is_set():
            return


def with_digests(
    lifespan: Callable[[Any], Any], digester: Digester, interval: float, published: Callable[[], int | None]
) -> Callable[[Any], Any]:
    """The service's lifespan with the digest task running inside it (stopped before the store closes)."""

    @asynccontextmanager
    async def wrapped(app: Any) -> AsyncIterator[None]:
        async with lifespan(app):
            stop = asyncio.Event()
            task = asyncio.create_task(run_digests(digester, stop, interval, published))
            try:
                yield
            finally:
                stop.set()
                await asyncio.wait_for(task, timeout=30)

    return wrapped


@dataclass(frozen=True)
class DigestCheck:
    checked: int
    uncovered: int
    failures: list[str]


def check_digests(export: Path, manifest: dict[str, Any], folder: Path, key: Ed25519PublicKey) -> DigestCheck:
    """Each digest whose events the export covers must have the same root over the export's events."""
    checked = uncovered = 0
    failures: list[str] = []
    files = {e["service"]: e for e in manifest.get("files", []) if e.get("first_position") is not None}
    leaves: dict[str, dict[int, bytes]] = {}
    for path in sorted(folder.rglob("*.json")):
        try:
            signed = json.loads(path.read_bytes())
            digest = signed["digest"]
            good = signature_ok(key, canonical(digest), signed["signature"])
            service, first, last = digest["service"], int(digest["first_position"]), int(digest["last_position"])
        except (OSError, ValueError, KeyError, TypeError):
            failures.append(f"{path}: not a readable digest")
            continue
        if not good or digest.get("format") != FORMAT:
            failures.append(f"{path}: its signature does not verify with this public key")
            continue
        entry = files.get(service)
        if entry is None or not (entry["first_position"] <= first and last <= entry["last_position"]):
            uncovered += 1
            continue
        if service not in leaves:
            leaves[service] = _leaves(export / entry["name"])
        tree = MerkleBuilder()
        for position in sorted(p for p in leaves[service] if first <= p <= last):
            tree.add_hash(leaves[service][position])
        checked += 1
        if (tree.size, tree.root()) != (digest["events"], digest["merkle_root"]):
            failures.append(
                f"{path.name}: {service} events {first}-{last} in the export differ from those published then "
                f"({tree.size} events now, {digest['events']} then)"
            )
    return DigestCheck(checked, uncovered, failures)


def _leaves(path: Path) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    with path.open("rb") as f:
        for raw in f:
            try:
                event, _ = split_line(raw.rstrip(b"\n"))
                found[int(json.loads(event)["position"])] = leaf_hash(event)
            except (MalformedLine, ValueError, KeyError, TypeError):
                continue  # verify names such a line; here it simply matches no digest
    return found
