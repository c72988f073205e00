"""The audit trail: exports of the event stores that someone outside the chamber can check.

An export is a folder: one JSON Lines file per service (one event per line, in canonical JSON, each line carrying
the SHA-256 of the line before it), a manifest listing every file with its SHA-256, Merkle root and event range
and the signature of the manifest before it, the manifest's Ed25519 signature, and the public key. `verify`
checks all of it and names the first line that fails; `proofs` show that one event is in an export without the
rest; digests signed while the services run let a later export be checked against what was published then.
"""
