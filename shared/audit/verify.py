"""Checking an export: the manifest's signature and chain, then every file, line by line.

Exit codes of `crm audit verify`: 0 everything verified; 1 the export was changed (a signature, a file, a line);
2 it cannot be checked at all (no manifest, unreadable key, bad arguments).

How each change shows, and the line named: a changed line k breaks the link of line k+1 (whose `prev` no longer
matches), unless k is the last line, which the manifest's `last_line_sha256` pins; a removed line k makes line k
(formerly k+1) fail; an inserted line fails itself or, if its `prev` was forged, the line after it; lines swapped
fail at the first of them. A file cut short or extended fails on the manifest's line count.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.audit.chain import GENESIS, MalformedLine, line_hash, split_line
from shared.audit.export import FORMAT, MANIFEST, SIGNATURE
from shared.audit.merkle import MerkleBuilder
from shared.audit.signing import fingerprint, signature_ok

VERIFIED, TAMPERED, UNREADABLE = 0, 1, 2


class Unreadable(ValueError):
    """The export cannot be checked (exit code 2)."""


@dataclass(frozen=True)
class Failure:
    reason: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.file or MANIFEST
        if self.line is not None:
            where += f" line {self.line}"
        return f"{where}: {self.reason}"


@dataclass
class Report:
    export: Path
    failures: list[Failure] = field(default_factory=list)
    files: int = 0
    lines: int = 0
    signature: str = ""
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failures


def read_manifest(export: Path) -> tuple[bytes, dict[str, Any], str]:
    try:
        body = (export / MANIFEST).read_bytes()
        signature = (export / SIGNATURE).read_text().strip()
    except OSError as exc:
        raise Unreadable(f"{export}: no readable manifest ({exc.strerror or exc})") from None
    try:
        manifest = json.loads(body)
    except ValueError:
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        # Still checked against the signature first: a signed manifest that is not ours is unreadable, an
        # unsigned one is tampered with; either way nothing in it is trusted.
        raise Unreadable(f"{export}: {MANIFEST} is not a {FORMAT} manifest")
    return body, manifest, signature


def verify_export(export: Path, key: Ed25519PublicKey, *, previous_signature: str | None = None) -> Report:
    """Every check of one export. `previous_signature`: the signature of the export made before it, when known."""
    body, manifest, signature = read_manifest(export)
    report = Report(export, signature=signature, manifest=manifest)
    if not signature_ok(key, body, signature):
        report.failures.append(Failure("the manifest's signature does not verify with this public key"))
        return report  # nothing in an unsigned manifest can be trusted to check the files against
    if manifest.get("public_key_sha256") != fingerprint(key):
        report.failures.append(Failure("the manifest names another public key"))
    if previous_signature is not None and manifest.get("previous_signature") != previous_signature:
        report.failures.append(Failure("the manifest does not name the previous export's signature"))
    listed = set()
    for entry in manifest.get("files", []):
        name = str(entry.get("name", ""))
        listed.add(name)
        if not name or Path(name).name != name:
            report.failures.append(Failure(f"unsafe file name {name!r} in the manifest"))
            continue
        failure = verify_file(export / name, entry, report)
        if failure is not None:
            report.failures.append(failure)
    for path in sorted(export.glob("*.jsonl")):
        if path.name not in listed:
            report.failures.append(Failure("not listed in the manifest", file=path.name))
    return report


def verify_file(path: Path, entry: dict[str, Any], report: Report) -> Failure | None:
    """The first failure in one file, or None."""
    name = path.name
    try:
        f = path.open("rb")
    except OSError:
        return Failure("missing", file=name)
    prev = GENESIS
    tree = MerkleBuilder()
    file_hash = hashlib.sha256()
    last_position: int | None = None
    first_position: int | None = None
    n = 0
    with f:
        for raw in f:
            n += 1
            file_hash.update(raw)
            if not raw.endswith(b"\n"):
                return Failure("the line does not end with a newline (the file was cut or extended)", name, n)
            line = raw[:-1]
            try:
                event, line_prev = split_line(line)
            except MalformedLine as exc:
                return Failure(f"{exc}", name, n)
            if line_prev != prev:
                if n == 1:
                    return Failure("its prev does not start the chain: lines before it were removed", name, n)
                return Failure(
                    f"its prev is not the SHA-256 of line {n - 1}: line {n - 1} was changed, "
                    "or lines were removed, inserted or moved here",
                    name,
                    n,
                )
            try:
                position = orjson.loads(event)["position"]  # in C: a line is parsed here once per verification
            except (ValueError, KeyError, TypeError):
                return Failure("the event is not readable JSON with a position", name, n)
            if not isinstance(position, int) or (last_position is not None and position <= last_position):
                return Failure(f"position {position} does not follow position {last_position}", name, n)
            if first_position is None:
                first_position = position
            last_position = position
            tree.add(event)
            prev = line_hash(line)
    report.files += 1
    report.lines += n
    expected = entry.get("lines")
    if n != expected:
        return Failure(f"the file has {n} lines, the manifest lists {expected}", name, min(n, int(expected or 0)) + 1)
    if prev != entry.get("last_line_sha256"):
        return Failure("the last line is not the one the manifest lists", name, n)
    if file_hash.hexdigest() != entry.get("sha256"):
        return Failure("the file's SHA-256 differs from the manifest's", name)
    if tree.root() != entry.get("merkle_root"):
        return Failure("the Merkle root of its events differs from the manifest's", name)
    if (first_position, last_position) != (entry.get("first_position"), entry.get("last_position")):
        return Failure("its event range differs from the manifest's", name)
    return None


def verify_series(exports: list[Path], key: Ed25519PublicKey) -> list[Report]:
    """Exports in the order they were made: each must name the signature of the one before it."""
    reports: list[Report] = []
    previous: str | None = None
    for export in exports:
        report = verify_export(export, key, previous_signature=previous)
        reports.append(report)
        previous = report.signature
    return reports
