"""`crm audit ...`: keys, exports of the event stores, verification, proofs and the CSV view for auditors.

Reads every service with an event store through the registry; the work itself is in shared/audit/.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from services import registry
from shared.audit import proofs, signing
from shared.audit.csvview import write_csv
from shared.audit.digests import check_digests
from shared.audit.export import SIGNATURE, EventReader, write_manifest
from shared.audit.parallel import export_events
from shared.audit.signing import AuditKeyError
from shared.audit.verify import TAMPERED, UNREADABLE, VERIFIED, Failure, Unreadable, verify_series
from shared.contracts import UndeclaredEvent
from shared.settings import Settings


def add_parser(sub: argparse._SubParsersAction) -> None:  # noqa: SLF001 - argparse names no public type for it
    audit = sub.add_parser("audit", help="the audit trail: signed exports of the event stores, and their checks")
    commands = audit.add_subparsers(dest="audit_command", required=True)

    keygen = commands.add_parser("keygen", help="create the Ed25519 key pair that signs exports (private key mode 600)")
    keygen.add_argument("--out", type=Path, required=True, help="folder for audit-ed25519.key and audit-ed25519.pub")

    export = commands.add_parser("export", help="write signed JSON Lines of the services' events to a new folder")
    which = export.add_mutually_exclusive_group(required=True)
    which.add_argument("--service", choices=registry.stored())
    which.add_argument("--all", action="store_true", help="every service with an event store")
    export.add_argument("--from", dest="start", type=date.fromisoformat, help="first day (UTC), YYYY-MM-DD")
    export.add_argument("--to", dest="end", type=date.fromisoformat, help="last day (UTC), inclusive")
    export.add_argument("--out", type=Path, required=True, help="a new or empty folder")
    export.add_argument("--key", type=Path, help="the private key (default: CRM_AUDIT_KEY_FILE)")
    export.add_argument(
        "--previous", type=Path, help="the export before this one (default: the last one made from this data folder)"
    )
    export.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes that read and encode events side by side (default: one per CPU; 1: none)",
    )

    verify = commands.add_parser(
        "verify", help="check exports; exit 0 verified, 1 changed (the first failing line is named), 2 unreadable"
    )
    verify.add_argument("exports", type=Path, nargs="+", help="one export, or several in the order they were made")
    verify.add_argument("--public-key", type=Path, required=True, help="the chamber's published audit public key")
    verify.add_argument(
        "--digests", type=Path, help="digests the services signed as they ran (<data folder>/audit/digests)"
    )

    prove = commands.add_parser("prove", help="print the Merkle proof that one event is in an export (JSON)")
    prove.add_argument("export", type=Path)
    prove.add_argument("--position", type=int, required=True, help="the event's position in its service's log")
    prove.add_argument("--service", help="whose event, when the export holds several services")

    check = commands.add_parser("check-proof", help="check a proof printed by `prove` on its own")
    check.add_argument("proof", type=Path)
    check.add_argument("--public-key", type=Path, help="the key to trust (default: the one the proof carries)")

    csv = commands.add_parser("csv", help="a CSV view of an export (UTF-8 with BOM) for spreadsheets")
    csv.add_argument("export", type=Path)
    csv.add_argument("--out", type=Path, required=True)


def _fail(message: str) -> int:
    print(f"crm audit: {message}", file=sys.stderr)
    return UNREADABLE


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        if args.audit_command == "keygen":
            private, public = signing.generate_keys(args.out)
            print(f"private key {private} (keep it secret; mode 600), public key {public} (publish it)")
            return 0
        if args.audit_command == "export":
            return export(args, settings)
        if args.audit_command == "verify":
            return verify(args)
        if args.audit_command == "prove":
            print_json(proofs.make_proof(args.export, args.position, args.service))
            return 0
        if args.audit_command == "check-proof":
            return check_proof(args)
        if args.audit_command == "csv":
            rows = write_csv(args.export, args.out)
            print(f"{args.out}: {rows} events")
            return 0
    except (AuditKeyError, Unreadable, proofs.NotInExport) as exc:
        return _fail(str(exc))
    except OSError as exc:  # a folder that cannot be written, a disk that is full: say which, not a traceback
        return _fail(f"{exc.filename or ''}: {exc.strerror or exc}")
    return _fail(f"unknown audit command {args.audit_command}")


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def export(args: argparse.Namespace, settings: Settings) -> int:
    key_path = args.key or settings.audit_key_file
    if key_path is None:
        return _fail("no signing key: give --key or set CRM_AUDIT_KEY_FILE (create one with `crm audit keygen`)")
    key = signing.load_private_key(key_path)
    if args.start and args.end and args.end < args.start:
        return _fail("--to is before --from")
    if args.jobs is not None and args.jobs < 1:
        return _fail("--jobs must be 1 or more")
    out: Path = args.out
    if out.exists() and any(out.iterdir()):
        return _fail(f"{out} is not empty: an export goes to a folder of its own")
    chain_file = settings.data_dir / "audit" / "last-export.sig"
    if args.previous is not None:
        try:
            previous: str | None = (args.previous / SIGNATURE).read_text().strip()
        except OSError as exc:
            return _fail(f"{args.previous}: no {SIGNATURE} ({exc.strerror})")
    else:
        previous = chain_file.read_text().strip() if chain_file.is_file() else None
    start = _day_start(args.start)
    end = _day_start(args.end + timedelta(days=1)) if args.end else None
    out.mkdir(parents=True, exist_ok=True)
    summaries = []
    for name in registry.stored() if args.all else [args.service]:
        app = registry.load(registry.SERVICES[name].application)(settings)
        try:
            with (out / f"{name}.jsonl").open("wb") as f:
                chain = export_events(f, EventReader(app), start, end, jobs=args.jobs)
        except UndeclaredEvent as exc:
            # An event its service's contract does not name has no wire type to export it under; an export
            # without it would be incomplete, so none is left behind (an unsigned folder would only mislead).
            for written in out.glob("*.jsonl"):
                written.unlink()
            return _fail(f"{exc} (services/{name}/contract.py); nothing was exported")
        finally:
            app.close()
        summaries.append(chain.summary(f"{name}.jsonl", name))
        print(f"{name}: {chain.lines} events", file=sys.stderr)
    signature = write_manifest(
        out,
        summaries,
        key,
        period={
            "from": args.start.isoformat() if args.start else None,
            "to": args.end.isoformat() if args.end else None,
        },
        previous_signature=previous,
        created_at=datetime.now(UTC),
    )
    chain_file.parent.mkdir(parents=True, exist_ok=True)
    chain_file.write_text(signature + "\n")
    print(f"export signed: {out}")
    return 0


def verify(args: argparse.Namespace) -> int:
    try:
        data = args.public_key.read_bytes()
    except OSError as exc:
        return _fail(f"{args.public_key}: {exc.strerror}")
    key = signing.load_public_key(data, str(args.public_key))
    status = VERIFIED
    if args.digests is not None and not args.digests.is_dir():
        return _fail(f"{args.digests}: no such folder of digests")
    for report in verify_series(args.exports, key):
        if report.ok and args.digests is not None:
            check = check_digests(report.export, report.manifest, args.digests, key)
            report.failures.extend(Failure(f"digest {failure}") for failure in check.failures)
            print(f"{report.export}: {check.checked} digests checked, {check.uncovered} outside this export")
        if report.ok:
            print(f"{report.export}: verified ({report.files} files, {report.lines} events)")
            continue
        status = TAMPERED
        for failure in report.failures:
            print(f"{report.export}: TAMPERED: {failure}")
    return status


def check_proof(args: argparse.Namespace) -> int:
    try:
        proof = json.loads(args.proof.read_bytes())
        trusted = args.public_key.read_bytes() if args.public_key else None
    except (OSError, ValueError) as exc:
        return _fail(f"cannot read the proof or key: {exc}")
    if not isinstance(proof, dict):
        return _fail(f"{args.proof}: not a proof")
    problems = proofs.check_proof(proof, trusted)
    for problem in problems:
        print(f"{args.proof}: INVALID: {problem}")
    if problems:
        return TAMPERED
    key = signing.load_public_key(trusted or proof["public_key"].encode())
    whose = "" if trusted else " (the key the proof carries: compare it with the chamber's published key)"
    print(
        f"{args.proof}: line {proof['line_number']} of {proof['file']} is in the export signed by the key "
        f"with SHA-256 {signing.fingerprint(key)}{whose}"
    )
    return VERIFIED


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))
