"""The proof that one event is in an export, checkable on its own: the event's line, its Merkle path to the root of
its file, and the signed manifest that lists that root (with the public key that signed it)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from shared.audit.chain import MalformedLine, split_line
from shared.audit.export import PUBLIC_KEY
from shared.audit.merkle import inclusion_path, leaf_hash, root_from_path
from shared.audit.signing import AuditKeyError, fingerprint, load_public_key, signature_ok
from shared.audit.verify import Unreadable, read_manifest

FORMAT = "crm-audit-proof/1"


class NotInExport(LookupError):
    pass


def make_proof(export: Path, position: int, service: str | None = None) -> dict[str, Any]:
    body, manifest, signature = read_manifest(export)
    entries = [e for e in manifest.get("files", []) if service is None or e.get("service") == service]
    entries = [
        e
        for e in entries
        if e.get("first_position") is not None and e["first_position"] <= position <= e["last_position"]
    ]
    if len(entries) > 1:
        services = ", ".join(e["service"] for e in entries)
        raise NotInExport(f"position {position} is in several services' files ({services}): name one")
    if not entries:
        raise NotInExport(f"no event at position {position} in {export}")
    entry = entries[0]
    # The top-level position follows the event's data in canonical order, so a quick byte search narrows the lines
    # to parse to those that mention it.
    needle = re.compile(rb'"position":%d[,}]' % position)
    leaves: list[bytes] = []
    found: tuple[int, bytes] | None = None
    try:
        with (export / entry["name"]).open("rb") as f:
            for number, raw in enumerate(f, 1):
                line = raw.rstrip(b"\n")
                event, _ = split_line(line)
                leaves.append(leaf_hash(event))
                if found is None and needle.search(event) and json.loads(event).get("position") == position:
                    found = (number, line)
    except (OSError, MalformedLine) as exc:
        raise Unreadable(f"{entry['name']}: {exc}") from None
    if found is None:
        raise NotInExport(f"no event at position {position} in {entry['name']}")
    number, line = found
    return {
        "format": FORMAT,
        "service": entry["service"],
        "file": entry["name"],
        "line_number": number,
        "line": line.decode(),
        "tree_size": len(leaves),
        "leaf_index": number - 1,
        "path": inclusion_path(leaves, number - 1),
        "merkle_root": entry["merkle_root"],
        "manifest": body.decode(),
        "signature": signature,
        "public_key": (export / PUBLIC_KEY).read_text(),
    }


def check_proof(proof: dict[str, Any], trusted_key: bytes | None = None) -> list[str]:
    """What is wrong with a proof; empty when the event is in the signed export. Without `trusted_key` the key the
    proof carries is used, which shows the proof is whole but not who signed it: compare its fingerprint."""
    if proof.get("format") != FORMAT:
        raise Unreadable(f"not a {FORMAT} proof")
    try:
        key = load_public_key((trusted_key or proof["public_key"].encode()), "the proof's public key")
        manifest_body = proof["manifest"].encode()
        manifest = json.loads(manifest_body)
        event, _ = split_line(proof["line"].encode())
        index, size, path = int(proof["leaf_index"]), int(proof["tree_size"]), list(proof["path"])
    except (KeyError, TypeError, ValueError, AuditKeyError, MalformedLine) as exc:
        raise Unreadable(f"the proof is incomplete: {exc}") from None
    problems = []
    if not signature_ok(key, manifest_body, str(proof.get("signature", ""))):
        problems.append("the manifest's signature does not verify with the public key")
    elif manifest.get("public_key_sha256") != fingerprint(key):
        problems.append("the manifest names another public key")
    entry = next((e for e in manifest.get("files", []) if e.get("name") == proof.get("file")), None)
    if entry is None:
        problems.append(f"the manifest lists no file {proof.get('file')!r}")
    elif (entry.get("merkle_root"), entry.get("lines")) != (proof.get("merkle_root"), size):
        problems.append("the manifest lists another root or size for the file")
    try:
        root = root_from_path(leaf_hash(event), index, size, path)
    except ValueError:
        root = None
    if root is None or root != proof.get("merkle_root"):
        problems.append("the event's Merkle path does not lead to the file's root")
    return problems
