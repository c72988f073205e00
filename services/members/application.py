"""MemberDirectory: the member database's commands and queries over its event store (form ME-FR-03-01-01)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from services.members import normalise
from services.members.contract import CONTRACT
from services.members.criteria import Criteria, matches
from services.members.domain import DETAIL_FIELDS, Member, MemberKind, Selection, Status, member_id
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.problems import DomainError, InvalidInput, NotFound

Resolver = Callable[[Criteria], list[str]]
IMPORT_BATCH = 500


def _chunks(rows: Iterable[MemberRow], size: int) -> Iterator[list[MemberRow]]:
    chunk: list[MemberRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class MemberNotFound(NotFound):
    pass


class SelectionNotFound(NotFound):
    pass


class AlreadyRegistered(DomainError):
    """The membership number belongs to a member already (409)."""


# -- input: raw values in, the normalised details the domain stores out ---------------------------------------
def text(value: Any) -> str | None:
    return normalise.clean_text(None if value is None else str(value))


def multiline_text(value: Any) -> str | None:
    """Text whose line breaks mean something (an address): each line cleaned, empty lines dropped."""
    if value is None:
        return None
    lines = [t for t in (text(line) for line in str(value).splitlines()) if t]
    return "\n".join(lines) or None


def text_list(values: Iterable[Any] | None) -> list[str]:
    out = [t for t in (text(v) for v in (values or [])) if t]
    return list(dict.fromkeys(out))


def parse_kind(value: Any) -> str:
    raw = (text(value) or "").casefold()
    if not raw:
        raise InvalidInput("kind is missing: company or person")
    aliases = {"شرکت": "company", "حقوقی": "company", "şirket": "company", "tüzel": "company",
               "حقیقی": "person", "شخص": "person", "şahıs": "person", "gerçek": "person"}  # fmt: skip
    raw = aliases.get(raw, raw)
    try:
        return MemberKind(raw).value
    except ValueError:
        raise InvalidInput(f"kind {value!r} is neither company nor person") from None


def parse_status(value: Any) -> str:
    raw = (text(value) or "active").casefold()
    aliases = {"فعال": "active", "معلق": "suspended", "تعلیق": "suspended", "پایان": "ended", "خاتمه": "ended",
               "aktif": "active", "askıda": "suspended", "askida": "suspended", "sona erdi": "ended", "bitti": "ended"}  # fmt: skip
    raw = aliases.get(raw, raw)
    try:
        return Status(raw).value
    except ValueError:
        raise InvalidInput(f"status {value!r} is not one of active, suspended, ended") from None


def contact(
    name: Any, phones: Iterable[Any], region: str, *, role: Any = None, where: str = "phones"
) -> dict[str, Any]:
    """A contact person with each phone number normalised; the same number twice is kept once."""
    contact_name = text(name)
    numbers: dict[str, dict[str, str]] = {}
    for raw in phones or []:
        raw = raw.get("raw") if isinstance(raw, dict) else raw
        if raw is None or not str(raw).strip():
            continue
        try:
            p = normalise.phone(str(raw), region)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc}") from None
        numbers.setdefault(p.e164, p.as_dict())
    if not contact_name:
        if not numbers:
            raise InvalidInput(f"{where}: a contact person needs a name")
        raise InvalidInput(f"{where}: the phone numbers {', '.join(numbers)} belong to a contact person without a name")
    return {"name": contact_name, "role": text(role), "phones": list(numbers.values())}


def countries(values: Iterable[Any] | None, where: str) -> list[str]:
    try:
        return normalise.countries([str(v) for v in (values or []) if v is not None])
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None


def prepare_details(raw: dict[str, Any], region: str, *, partial: bool = False) -> dict[str, Any]:
    """Validate and normalise a member's details given as plain JSON values (phones raw). With `partial`, only
    the fields present are returned (an update); None clears an optional field."""
    unknown = set(raw) - set(DETAIL_FIELDS)
    if unknown:
        raise InvalidInput(f"unknown member fields: {', '.join(sorted(unknown))}")
    out: dict[str, Any] = {}
    for f in DETAIL_FIELDS:
        if f not in raw:
            if partial:
                continue
            value = None
        else:
            value = raw[f]
        if f == "kind":
            out[f] = parse_kind(value) if value is not None or not partial else _refuse_clear(f)
        elif f == "name":
            out[f] = text(value)
            if not out[f]:
                raise InvalidInput("name: a member needs its legal name (company) or full name (person)")
        elif f == "products":
            out[f] = text_list(value)
        elif f in ("import_countries", "export_countries"):
            out[f] = countries(value, f)
        elif f == "contacts":
            out[f] = [
                contact(c.get("name"), c.get("phones") or [], region, role=c.get("role"), where=f"contacts[{i}]")
                for i, c in enumerate(value or [])
            ]
        elif f == "email":
            try:
                out[f] = normalise.email(value)
            except InvalidInput as exc:
                raise InvalidInput(f"email: {exc}") from None
        elif f == "preferred_language":
            try:
                out[f] = normalise.language(value)
            except InvalidInput as exc:
                raise InvalidInput(f"preferred_language: {exc}") from None
        elif f == "address":
            out[f] = multiline_text(value)
        else:
            out[f] = text(value)
    return out


def _refuse_clear(f: str) -> Any:
    raise InvalidInput(f"{f} cannot be cleared")


@dataclass(frozen=True)
class MemberRow:
    """One member as an import brings it: normalised details, the status it should have, where it came from."""

    membership_number: str
    details: dict[str, Any]
    status: str = Status.ACTIVE.value
    status_reason: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class Rejection:
    line: int | None
    membership_number: str | None
    field: str | None
    reason: str


@dataclass
class ImportReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def reject(self, line: int | None, number: str | None, field_: str | None, reason: str) -> None:
        self.rejected.append(Rejection(line, number, field_, reason))

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected_count": len(self.rejected),
            "rejected": [asdict(r) for r in sorted(self.rejected, key=lambda r: r.line or 0)],
            "ignored_columns": list(self.ignored_columns),
        }


def member_record(member: Member) -> dict[str, Any]:
    """The plain view of a member that the API returns and the search index stores."""
    return {
        "id": str(member.id),
        "version": member.version,
        "membership_number": member.membership_number,
        "status": member.status,
        "is_member": member.is_member,
        "status_reason": member.status_reason,
        "status_changed_at": member.status_changed_at,
        "registered_at": member.registered_at,
        "updated_at": member.updated_at,
        "erased_at": member.erased_at,
        **member.details(),
    }


class MemberDirectory(CrmApplication):
    service: ClassVar[str] = "members"
    contract: ClassVar[EventContract] = CONTRACT
    # Names, contact persons with their numbers, e-mail and address, and the free texts of the member's status
    # changes: sealed per member (shared/privacy.py). The erasure's own reason stays readable.
    personal_fields: ClassVar[dict[str, frozenset[str]]] = {
        "Member": frozenset(
            {"name", "contacts", "email", "address", "Suspended.reason", "Ended.reason", "Reinstated.note"}
        )
    }

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        clock: Clock = system_clock,
        region: str = "IR",
        resolver: Resolver | None = None,
    ):
        super().__init__(env)
        self.clock = clock
        self.region = region
        # Who answers "which members meet these criteria now": the search index in a running service, a scan of
        # the whole store otherwise (tests, scripts).
        self.resolver: Resolver = resolver or self._scan

    # -- queries -----------------------------------------------------------------------------------------------
    def get_member(self, membership_number: str) -> Member:
        number = normalise.membership_number(membership_number)
        return self.get_aggregate(
            member_id(number), Member, MemberNotFound, f"no member with membership number {number}"
        )

    def find_member(self, membership_number: str) -> Member | None:
        return self.find_aggregate(member_id(membership_number), Member)

    def history(self, membership_number: str) -> list[dict[str, Any]]:
        """Every event of the member's record, oldest first, as consumers see them on Kafka."""
        return self.event_history(self.get_member(membership_number).id)

    # -- commands ----------------------------------------------------------------------------------------------
    def register_member(
        self, membership_number: str, details: dict[str, Any], *, status: str = "active", by: str | None = None
    ) -> str:
        """Register a member from raw details (phones as typed); returns the canonical membership number."""
        number = normalise.membership_number(membership_number)
        prepared = prepare_details(details, self.region)
        if self.find_member(number) is not None:
            raise AlreadyRegistered(f"membership number {number} is already registered")
        member = Member.register(
            membership_number=number, details=prepared, status=parse_status(status), by=by, at=self.clock()
        )
        try:
            self.save(member)
        except IntegrityError:
            raise AlreadyRegistered(f"membership number {number} is already registered") from None
        return number

    def _command(self, membership_number: str, action: Callable[[Member], Any]) -> Any:
        member = self.get_member(membership_number)
        result = action(member)
        self.save_or_conflict(member, what="the member's record")
        return result

    def update_member(
        self, membership_number: str, details: dict[str, Any], *, by: str | None = None
    ) -> dict[str, Any]:
        """Change some details (None clears an optional one); returns the fields that changed, with new values."""
        prepared = prepare_details(details, self.region, partial=True)
        return self._command(membership_number, lambda m: m.update_details(prepared, by=by, at=self.clock()))

    def erase_member(self, membership_number: str, reason: str, *, by: str | None = None) -> None:
        """Forget the person: delete the key that seals the record's personal data, then record who erased it and
        why. The key goes first, so that nothing reading the erasure event (the search index) still opens the data;
        asked again after a failed save, it records the event then."""
        member = self.get_member(membership_number)
        assert self.sealer is not None  # the directory seals personal data (personal_fields)
        self.sealer.keys.delete(str(member.id))
        member.erase(reason, by=by, at=self.clock())
        self.save_or_conflict(member, what="the member's record")

    def suspend_member(self, membership_number: str, reason: str, *, by: str | None = None) -> None:
        self._command(membership_number, lambda m: m.suspend(reason, by=by, at=self.clock()))

    def reinstate_member(self, membership_number: str, *, by: str | None = None, note: str | None = None) -> None:
        self._command(membership_number, lambda m: m.reinstate(by=by, at=self.clock(), note=note))

    def end_member(self, membership_number: str, reason: str, *, by: str | None = None) -> None:
        self._command(membership_number, lambda m: m.end(reason, by=by, at=self.clock()))

    # -- imports -----------------------------------------------------------------------------------------------
    def import_rows(
        self,
        rows: Iterable[MemberRow],
        *,
        by: str | None = None,
        report: ImportReport | None = None,
        batch_size: int = IMPORT_BATCH,
    ) -> ImportReport:
        """Bring the store in line with the rows, idempotently by membership number: a new number is registered,
        a row identical to the stored member changes nothing, a changed one appends only what changed (details,
        then the status step). A row the rules refuse is reported with its line, the others are imported."""
        report = report or ImportReport()
        seen: dict[str, int | None] = {}
        pending: list[tuple[Member, MemberRow, str]] = []
        at = self.clock()
        for chunk in _chunks(rows, batch_size):
            fresh: list[MemberRow] = []
            for row in chunk:
                report.rows += 1
                number = row.membership_number
                if number in seen:
                    first = seen[number]
                    where = f" (first on line {first})" if first is not None else ""
                    report.reject(
                        row.line,
                        number,
                        "membership_number",
                        f"duplicate membership number {number} in the file{where}",
                    )
                    continue
                seen[number] = row.line
                fresh.append(row)
            stored = self.find_members([row.membership_number for row in fresh])  # one query for the chunk
            for row in fresh:
                try:
                    outcome, member = self._apply_row(row, stored.get(row.membership_number), by, at)
                except DomainError as exc:
                    report.reject(row.line, row.membership_number, None, str(exc))
                    continue
                if outcome == "unchanged":
                    report.unchanged += 1
                    continue
                pending.append((member, row, outcome))
                if len(pending) >= batch_size:
                    self._flush(pending, report)
                    pending = []
        if pending:
            self._flush(pending, report)
        return report

    def find_members(self, membership_numbers: list[str]) -> dict[str, Member]:
        """The stored members among these (canonical) membership numbers, read from the store at once."""
        ids = {member_id(n): n for n in membership_numbers}
        return {ids[i]: m for i, m in self.find_aggregates(list(ids), Member).items()}

    def _apply_row(self, row: MemberRow, member: Member | None, by: str | None, at: datetime) -> tuple[str, Member]:
        reason = row.status_reason or "set by import"
        if member is None:
            member = Member.register(
                membership_number=row.membership_number, details=row.details, status=row.status, by=by, at=at
            )
            return "created", member
        member.update_details(row.details, by=by, at=at)
        member.change_status(row.status, reason=reason, by=by, at=at)
        return ("updated" if member.pending_events else "unchanged"), member

    def _flush(self, pending: list[tuple[Member, MemberRow, str]], report: ImportReport) -> None:
        try:
            self.save(*(m for m, _, _ in pending))
        except IntegrityError:
            # Someone changed one of these members meanwhile: save the others one by one, report that one.
            for member, row, outcome in pending:
                try:
                    self.save(member)
                except IntegrityError:
                    report.reject(
                        row.line,
                        row.membership_number,
                        None,
                        "the member's record changed meanwhile; import the row again",
                    )
                    continue
                setattr(report, outcome, getattr(report, outcome) + 1)
            return
        for _, _, outcome in pending:
            setattr(report, outcome, getattr(report, outcome) + 1)

    # -- selections --------------------------------------------------------------------------------------------
    def take_selection(self, name: str, criteria: Criteria | dict[str, Any], *, by: str | None = None) -> uuid.UUID:
        """Freeze the list of members meeting the criteria now (active members unless a status is given)."""
        c = criteria if isinstance(criteria, Criteria) else Criteria.from_dict(criteria)
        c = c.normalised()
        if c.status is None:
            c = c.with_status(Status.ACTIVE.value)
        members = sorted(self.resolver(c))
        selection = Selection.take(name=name, criteria=c.as_dict(), members=members, by=by, at=self.clock())
        self.save(selection)
        return selection.id

    def get_selection(self, selection_id: uuid.UUID | str) -> dict[str, Any]:
        selection = self.get_aggregate(
            selection_id, Selection, SelectionNotFound, f"no selection with id {selection_id}"
        )
        return {
            "id": str(selection.id),
            "name": selection.name,
            "criteria": dict(selection.criteria),
            "members": list(selection.members),
            "count": len(selection.members),
            "taken_by": selection.taken_by,
            "taken_at": selection.taken_at,
        }

    def _scan(self, criteria: Criteria) -> list[str]:
        """Every member meeting the criteria, read from the store itself (no index): for tests and scripts."""
        topic = get_topic(Member.Registered)  # type: ignore[attr-defined]  # made by @event at class creation
        found: list[str] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            for n in batch:
                record = member_record(self.repository.get(n.originator_id))
                if matches(record, criteria):
                    found.append(record["membership_number"])
            start = batch[-1].id
