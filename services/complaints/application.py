"""ComplaintDesk: the complaints service's commands and queries over its event store, the complaint form
ME-FR-01-01-01 as a view of the events, the documents kept beside them, and who may see which complaint."""

from __future__ import annotations

import logging
import re
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from services.complaints.documents import DEFAULT_MAX_BYTES, DocumentNotFound, DocumentStore, StoredDocument
from services.complaints.domain import (
    DEFAULT_STAGE_HOURS,
    FORM,
    Channel,
    Complaint,
    ConflictOfInterest,
    HandlerKind,
    Kind,
    Stage,
    State,
    complaint_id_for_source,
    stage_hours,
)
from shared.auth import Principal, Role
from shared.calendar import BusinessCalendar
from shared.clock import Clock, system_clock
from shared.eventstore import CrmApplication, event_type_name
from shared.phones import ascii_digits, e164, parse_phone
from shared.problems import DomainError, InvalidInput, NotFound
from shared.settings import Organisation, Settings

log = logging.getLogger(__name__)

Lister = Callable[[], Iterable[uuid.UUID]]
DEFAULT_COMMITTEE = ("m.karimi", "sg", "strategic_planning_manager")
COMPLAINT_TOPIC_PREFIX = f"{Complaint.__module__}:{Complaint.__qualname__}."


class ComplaintNotFound(NotFound):
    pass


@dataclass(frozen=True)
class ComplaintSettings:
    """The complaints service's configuration. Read from Settings fields named `complaint_<name>` when they
    exist (env CRM_COMPLAINT_<NAME>), otherwise these defaults."""

    stage_hours: Mapping[str, float] = field(
        default_factory=lambda: {k.value: v for k, v in DEFAULT_STAGE_HOURS.items()}
    )
    # The committee's fixed members (user names): the member-relations manager, the SG or a representative, the
    # manager of strategic planning (DOMAIN.md §3 step 5).
    committee_fixed_members: tuple[str, ...] = DEFAULT_COMMITTEE
    document_max_bytes: int = DEFAULT_MAX_BYTES
    # The public website form
    public_rate_limit: int = 5  # submissions per client address within the window
    public_rate_window_seconds: float = 3600
    public_max_text: int = 4000  # characters of the description
    public_max_attachments: int = 3
    public_max_attachment_bytes: int = 3 * 1024 * 1024
    public_max_body_bytes: int = 13 * 1024 * 1024  # the whole request: 3 files of 3 MiB in base64, and the text
    trust_forwarded_for: bool = False  # behind a reverse proxy that sets X-Forwarded-For
    deadline_check_seconds: float = 60  # how often the running service records breached deadlines

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ComplaintSettings:
        defaults = cls()
        values = {}
        for name in cls.__dataclass_fields__:
            value = getattr(settings, f"complaint_{name}", getattr(defaults, name))
            values[name] = tuple(value) if name == "committee_fixed_members" else value
        values.update(overrides)
        return cls(**values)


# -- input ---------------------------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


def clean_text(value: str | None) -> str | None:
    """Text as the member wrote it, without control characters; None when nothing is left. Stored as text,
    never interpreted as markup."""
    if value is None:
        return None
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


def normalise_phone(raw: str | None, region: str) -> tuple[str | None, str | None]:
    """(E.164, as typed) of a phone number the chamber can call back; InvalidInput otherwise."""
    text = clean_text(raw)
    if not text:
        return None, None
    parsed = parse_phone(text, region)
    if parsed is None:
        raise InvalidInput(f"{text!r} is not a phone number")
    return e164(parsed), text


def normalise_email(raw: str | None) -> str | None:
    text = clean_text(raw)
    if not text:
        return None
    if not _EMAIL.match(text) or len(text) > 254:
        raise InvalidInput(f"{text!r} is not an e-mail address")
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def normalise_member_number(raw: str | None) -> str | None:
    text = clean_text(raw)
    return ascii_digits(text).replace(" ", "") if text else None


def aware(value: datetime | None, calendar: BusinessCalendar) -> datetime | None:
    """UTC; a time given without a zone is the chamber's local time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=calendar.tz)
    return value.astimezone(UTC)


def units_of_person(organisation: Organisation, person: str | None) -> set[str]:
    """The units a person belongs to, as expert or as manager (organisation file)."""
    if not person:
        return set()
    key = person.strip().casefold()
    return {u.id for u in organisation.units if key == u.manager.casefold() or key in (e.casefold() for e in u.experts)}


# -- who may see what ----------------------------------------------------------------------------------------------
SEE_ALL = frozenset({Role.MR_MANAGER, Role.SG, Role.AUDITOR})


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def is_involved(principal: Principal, view: Mapping[str, Any]) -> bool:
    """The principal has a part in this complaint: its handler (the person, or staff of the handling unit), a
    member of one of its committees, or the expert who registered it."""
    handler = view.get("handler") or {}
    if handler.get("kind") == HandlerKind.PERSON and _same(handler.get("name"), principal.name):
        return True
    if (
        handler.get("kind") == HandlerKind.UNIT
        and principal.role in (Role.UNIT_MANAGER, Role.EXPERT)
        and _same(handler.get("name"), principal.unit)
    ):
        return True
    if any(_same(m, principal.name) for m in view.get("committee_members") or []):
        return True
    return _same(view.get("registered_by"), principal.name)


def may_see(principal: Principal, view: Mapping[str, Any], member_relations_unit: str) -> bool:
    """The member-relations manager, the SG and auditors see every complaint; the people involved see theirs.
    Member-relations experts and operators see the others unless they are confidential; a confidential complaint
    is hidden from everybody else."""
    if principal.role in SEE_ALL or is_involved(principal, view):
        return True
    if view.get("confidential"):
        return False
    if principal.role == Role.ADMIN:
        return True
    return principal.role == Role.EXPERT and principal.unit == member_relations_unit


# -- the form ------------------------------------------------------------------------------------------------------
STEP_TITLES = {
    "Received": "Registered on the complaint form",
    "Acknowledged": "Receipt acknowledged to the member",
    "InformationAdded": "Information added by the member-relations manager",
    "StakeholdersRecorded": "Stakeholders recorded",
    "ReviewCompleted": "Review marked complete",
    "Referred": "Referred to the secretary general",
    "HandlerAssigned": "Handler assigned",
    "AssignmentRefused": "Assignment refused (conflict of interest)",
    "InvestigationReported": "Investigation report filed",
    "Decided": "Decision of the secretary general",
    "CommitteeConvened": "Complaint committee convened",
    "CommitteeNotConvened": "Accepted without convening the committee",
    "CommitteeDecided": "Decision of the complaint committee",
    "CorrectiveActionCompleted": "Corrective action done (SY-PR-05-00-02)",
    "MemberNotified": "Result communicated to the member",
    "Closed": "Closed",
    "SatisfactionRecorded": "Member's satisfaction with the handling",
    "Reopened": "Reopened: the member is not satisfied",
    "ConfidentialityChanged": "Confidentiality changed",
    "DocumentAttached": "Document attached",
    "DeadlineBreached": "Stage deadline passed",
}
_BOOKKEEPING = ("timestamp", "originator_id", "originator_version", "originator_topic")


class ComplaintDesk(CrmApplication):
    service: ClassVar[str] = "complaints"

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        organisation: Organisation | None = None,
        calendar: BusinessCalendar | None = None,
        clock: Clock = system_clock,
        region: str = "IR",
        config: ComplaintSettings | None = None,
        documents: DocumentStore | None = None,
        lister: Lister | None = None,
    ):
        super().__init__(env)
        self.organisation = organisation or Organisation()
        self.calendar = calendar or BusinessCalendar.preset(region)
        self.clock = clock
        self.region = region
        self.config = config or ComplaintSettings()
        self.hours = stage_hours(self.config.stage_hours)
        # Without a store of its own (scripts, unit tests) documents go to a temporary folder, made on first use.
        self.documents = documents or DocumentStore(
            Path(tempfile.gettempdir()) / "crm-complaint-documents", max_bytes=self.config.document_max_bytes
        )
        # Which complaints may still breach a deadline: the search index in a running service, a scan otherwise.
        self.lister: Lister = lister or self._scan_open

    # -- queries -----------------------------------------------------------------------------------------------
    def find_complaint(self, complaint_id: uuid.UUID | str) -> Complaint | None:
        try:
            complaint = self.repository.get(uuid.UUID(str(complaint_id)))
        except (ValueError, AggregateNotFoundError):
            return None
        return complaint if isinstance(complaint, Complaint) else None

    def get_complaint(self, complaint_id: uuid.UUID | str) -> Complaint:
        complaint = self.find_complaint(complaint_id)
        if complaint is None:
            raise ComplaintNotFound(f"no complaint with id {complaint_id}")
        return complaint

    def summary(self, complaint: Complaint) -> dict[str, Any]:
        """The plain view of a complaint that the API returns and the search index stores (no time-dependent
        values: whether a due time has passed is asked of the clock when reading)."""
        c = complaint
        stage = c.current_stage()
        deadlines = c.deadlines(self.calendar, self.hours)
        current = next((d for d in deadlines if d.stage == stage), None)
        return {
            "id": str(c.id),
            "reference": c.reference,
            "form": FORM,
            "version": c.version,
            "state": c.state.value,
            "round": c.round,
            "channel": c.channel.value,
            "kind": c.kind.value,
            "description": c.description,
            "occurred_at": c.occurred_at,
            "member_number": c.member_number,
            "complainant": {
                "name": c.complainant_name,
                "phone": c.contact_phone,
                "phone_raw": c.contact_phone_raw,
                "email": c.contact_email,
            },
            "unit": c.unit,
            "service": c.service,
            "stakeholders": {**c.stakeholders},
            "confidential": c.confidential,
            "call_id": c.call_id,
            "source": c.source,
            "source_ref": c.source_ref,
            "registered_by": c.registered_by,
            "received_at": c.received_at,
            "acknowledged_at": c.acknowledged_at,
            "reviewed_by": c.reviewed_by,
            "handler": (
                {
                    "kind": c.handler_kind.value,
                    "name": c.handler,
                    "units": list(c.handler_units),
                    "eligibility": c.eligibility,
                }
                if c.handler_kind
                else None
            ),
            "investigation": dict(c.investigation) if c.investigation else None,
            "decision": c.decision.value if c.decision else None,
            "decision_reason": c.decision_reason,
            "committee": dict(c.committee) if c.committee else None,
            "committee_members": list(c.committee_members_ever),
            "outcome": c.outcome.value if c.outcome else None,
            "decided_at": c.decided_at,
            "corrective_actions": [dict(a) for a in c.corrective_actions],
            "notified_at": c.notified_at,
            "closed_at": c.closed_at,
            "satisfaction": dict(c.satisfaction) if c.satisfaction else None,
            "documents": [dict(d) for d in c.documents],
            "breaches": [dict(b) for b in c.breaches],
            "stage": stage.value if stage else None,
            "waiting_on": c.waiting_on(stage),
            "due_at": current.due_at if current else None,
            "deadlines": [d.as_dict() for d in deadlines],
            "updated_at": c.updated_at,
        }

    def view(self, complaint_id: uuid.UUID | str) -> dict[str, Any]:
        return self.summary(self.get_complaint(complaint_id))

    def _events(self, complaint: Complaint) -> list[Any]:
        return list(self.repository.event_store.get(complaint.id))

    def history(self, complaint_id: uuid.UUID | str) -> list[dict[str, Any]]:
        """Every event of the complaint, oldest first, as consumers see them on Kafka."""
        return self.event_history(self.get_complaint(complaint_id).id)

    def complaint_form(self, complaint_id: uuid.UUID | str) -> dict[str, Any]:
        """Form ME-FR-01-01-01: the complaint's particulars and every step from receipt to the announcement of
        the result, each with who did it and when (UTC and the chamber's calendar), built from the events."""
        complaint = self.get_complaint(complaint_id)
        view = self.summary(complaint)
        steps = []
        for n, e in enumerate(self._events(complaint), start=1):
            name = type(e).__name__
            data = {k: v for k, v in e.__dict__.items() if k not in _BOOKKEEPING}
            at = data.pop("at", None) or e.timestamp
            by = data.pop("by", None)
            steps.append(
                {
                    "step": n,
                    "event": event_type_name(self.service, get_topic(type(e))),
                    "title": STEP_TITLES.get(name, name),
                    "by": by,
                    "at": at,
                    "at_local": self.calendar.format(at),
                    "details": data,
                }
            )
        return {
            "form": FORM,
            "title": "Complaint, criticism and suggestion form",
            "id": view["id"],
            "reference": view["reference"],
            "state": view["state"],
            "round": view["round"],
            "confidential": view["confidential"],
            "channel": view["channel"],
            "kind": view["kind"],
            "received_at": view["received_at"],
            "received_at_local": self.calendar.format(complaint.received_at),
            "occurred_at": view["occurred_at"],
            "occurred_at_local": self.calendar.format(complaint.occurred_at) if complaint.occurred_at else None,
            "description": view["description"],
            "member_number": view["member_number"],
            "complainant": view["complainant"],
            "unit": view["unit"],
            "service": view["service"],
            "stakeholders": view["stakeholders"],
            "documents": view["documents"],
            "handler": view["handler"],
            "investigation": view["investigation"],
            "decision": view["decision"],
            "committee": view["committee"],
            "outcome": view["outcome"],
            "corrective_actions": view["corrective_actions"],
            "satisfaction": view["satisfaction"],
            "deadlines": [{**d, "due_at_local": self.calendar.format(d["due_at"])} for d in view["deadlines"]],
            "steps": steps,
        }

    def read_document(self, complaint_id: uuid.UUID | str, sha256: str) -> tuple[bytes, dict[str, Any]]:
        complaint = self.get_complaint(complaint_id)
        doc = complaint.document(sha256)
        if doc is None:
            raise DocumentNotFound(f"the complaint has no document {sha256}")
        return self.documents.read(sha256), dict(doc)

    def _scan_open(self) -> list[uuid.UUID]:
        """Every complaint not yet closed, by reading the whole store (no index at hand)."""
        ids: dict[uuid.UUID, None] = {}
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, inclusive_of_start=False)
            if not batch:
                break
            for n in batch:
                if n.topic.startswith(COMPLAINT_TOPIC_PREFIX):
                    ids[n.originator_id] = None
            start = batch[-1].id
        return [i for i in ids if (c := self.find_complaint(i)) is not None and c.is_open]

    # -- input helpers -----------------------------------------------------------------------------------------
    def _check_unit(self, unit: str | None, what: str = "unit") -> str | None:
        unit = clean_text(unit)
        if unit and not self.organisation.has_unit(unit):
            raise InvalidInput(f"unknown {what} {unit!r}; the chamber's units are configured in the organisation file")
        return unit

    def units_of(self, person: str) -> set[str]:
        return units_of_person(self.organisation, person)

    def _content(
        self,
        *,
        description: str | None,
        occurred_at: datetime | None,
        member_number: str | None,
        complainant_name: str | None,
        phone: str | None,
        email: str | None,
        unit: str | None,
        service: str | None,
    ) -> dict[str, Any]:
        e164, raw = normalise_phone(phone, self.region)
        return {
            "description": clean_text(description) or "",
            "occurred_at": aware(occurred_at, self.calendar),
            "member_number": normalise_member_number(member_number),
            "complainant_name": clean_text(complainant_name),
            "contact_phone": e164,
            "contact_phone_raw": raw,
            "contact_email": normalise_email(email),
            "unit": self._check_unit(unit, "unit concerned"),
            "service": clean_text(service),
        }

    def _stakeholders(self, stakeholders: Mapping[str, Any] | None) -> dict[str, Any]:
        people = dict(stakeholders or {})
        for unit in people.get("units") or []:
            self._check_unit(unit, "unit complained about")
        return people

    # -- receipt -----------------------------------------------------------------------------------------------
    def register_complaint(
        self,
        *,
        channel: Channel | str,
        kind: Kind | str,
        description: str,
        by: str,
        occurred_at: datetime | None = None,
        member_number: str | None = None,
        complainant_name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        unit: str | None = None,
        service: str | None = None,
        stakeholders: Mapping[str, Any] | None = None,
        confidential: bool = False,
        call_id: str | None = None,
    ) -> uuid.UUID:
        """The expert fills in the form: the member in person, or on the phone (linked to the call)."""
        if str(channel) not in (Channel.IN_PERSON, Channel.PHONE):
            raise InvalidInput(
                "staff register complaints received in person or by phone; the website and other services have their own way in"
            )
        content = self._content(
            description=description,
            occurred_at=occurred_at,
            member_number=member_number,
            complainant_name=complainant_name,
            phone=phone,
            email=email,
            unit=unit,
            service=service,
        )
        complaint = Complaint.receive(
            channel=channel,
            kind=kind,
            at=self.clock(),
            by=by,
            stakeholders=self._stakeholders(stakeholders),
            confidential=confidential,
            call_id=call_id,
            **content,
        )
        return self._save_new(complaint)

    def receive_from_website(
        self,
        *,
        kind: Kind | str,
        description: str,
        complainant_name: str | None,
        phone: str | None,
        email: str | None,
        occurred_at: datetime | None = None,
        member_number: str | None = None,
        unit: str | None = None,
        service: str | None = None,
        attachments: Sequence[tuple[bytes, str | None, str | None]] = (),
        max_attachment_bytes: int | None = None,
    ) -> Complaint:
        """The public form: registered and acknowledged at once (the tracking reference is the acknowledgement);
        attachments are checked all before any is stored."""
        content = self._content(
            description=description,
            occurred_at=occurred_at,
            member_number=member_number,
            complainant_name=complainant_name,
            phone=phone,
            email=email,
            unit=unit,
            service=service,
        )
        if not content["complainant_name"]:
            raise InvalidInput("name: tell us who you are, so that we can answer you")
        if not (content["contact_phone"] or content["contact_email"]):
            raise InvalidInput("phone or email: give a way to reach you")
        limit = max_attachment_bytes or self.config.public_max_attachment_bytes
        checked = [
            self.documents.check(data, media_type, name, max_bytes=limit) for data, media_type, name in attachments
        ]
        at = self.clock()
        complaint = Complaint.receive(channel=Channel.WEBSITE, kind=kind, at=at, by=None, **content)
        complaint.acknowledge(by=None, method="website", note="tracking reference shown on submission", at=at)
        for (data, media_type, name), doc in zip(attachments, checked, strict=True):
            self.documents.put(data, doc.media_type, name, max_bytes=limit)
            complaint.attach_document(
                sha256=doc.sha256, size=doc.size, media_type=doc.media_type, filename=doc.filename, by=None, at=at
            )
        self._save_new(complaint)
        return complaint

    def open_automatically(
        self,
        source_ref: str,
        *,
        source: str,
        kind: Kind | str,
        description: str,
        occurred_at: datetime | None = None,
        member_number: str | None = None,
        complainant_name: str | None = None,
        phone: str | None = None,
        email: str | None = None,
        unit: str | None = None,
        service: str | None = None,
        confidential: bool = False,
    ) -> tuple[uuid.UUID, bool]:
        """Open a complaint for another service (a survey score under threshold, a problem raised at a session or
        a desk), idempotently by its source reference: (id, True) the first time, (the same id, False) after."""
        ref = clean_text(source_ref)
        if not ref:
            raise InvalidInput("the source reference is empty")
        complaint_id = complaint_id_for_source(ref)
        if self.find_complaint(complaint_id) is not None:
            return complaint_id, False
        content = self._content(
            description=description,
            occurred_at=occurred_at,
            member_number=member_number,
            complainant_name=complainant_name,
            phone=phone,
            email=email,
            unit=unit,
            service=service,
        )
        complaint = Complaint.receive(
            channel=Channel.AUTOMATIC,
            kind=kind,
            at=self.clock(),
            by=None,
            source=source,
            source_ref=ref,
            confidential=confidential,
            **content,
        )
        try:
            self.save(complaint)
        except IntegrityError:
            return complaint_id, False  # the same source reference, opened meanwhile by another request
        return complaint_id, True

    def _save_new(self, complaint: Complaint) -> uuid.UUID:
        try:
            self.save(complaint)
        except IntegrityError:
            # Two random references met (40 bits): extremely rare; the caller sends the form again.
            raise DomainError("the complaint could not be registered this time; send it again") from None
        return complaint.id

    # -- commands on a complaint -------------------------------------------------------------------------------
    def _command(self, complaint_id: uuid.UUID | str, action: Callable[[Complaint], Any]) -> Any:
        complaint = self.get_complaint(complaint_id)
        result = action(complaint)
        # A stage finished late, or one still waiting past its due time, is recorded with the step itself.
        complaint.record_breaches(self.calendar, self.hours, self.clock())
        self.save_or_conflict(complaint, what="the complaint")
        return result

    def acknowledge_complaint(
        self, complaint_id: uuid.UUID | str, *, by: str, method: str, note: str | None = None
    ) -> None:
        self._command(complaint_id, lambda c: c.acknowledge(by=by, method=method, note=note, at=self.clock()))

    def add_information(
        self, complaint_id: uuid.UUID | str, *, by: str, changes: Mapping[str, Any], note: str | None = None
    ) -> dict[str, Any]:
        """The member-relations manager adds what the form lacks; only the fields given change."""
        prepared: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "phone":
                prepared["contact_phone"], prepared["contact_phone_raw"] = normalise_phone(value, self.region)
            elif name == "email":
                prepared["contact_email"] = normalise_email(value)
            elif name == "occurred_at":
                prepared[name] = aware(value, self.calendar)
            elif name == "member_number":
                prepared[name] = normalise_member_number(value)
            elif name == "unit":
                prepared[name] = self._check_unit(value, "unit concerned")
            elif name in ("complainant_name", "service"):
                prepared[name] = clean_text(value)
            elif name == "description":
                prepared[name] = clean_text(value) or ""
            else:
                prepared[name] = value
        return self._command(
            complaint_id, lambda c: c.add_information(changes=prepared, note=clean_text(note), by=by, at=self.clock())
        )

    def record_stakeholders(
        self,
        complaint_id: uuid.UUID | str,
        *,
        by: str,
        units: Iterable[str] = (),
        persons: Iterable[str] = (),
        participants: Iterable[str] = (),
        complainant: str | None = None,
    ) -> bool:
        units = list(units)
        for unit in units:
            self._check_unit(unit, "unit complained about")
        return self._command(
            complaint_id,
            lambda c: c.record_stakeholders(
                units=units, persons=persons, participants=participants, complainant=complainant, by=by, at=self.clock()
            ),
        )

    def complete_review(self, complaint_id: uuid.UUID | str, *, by: str) -> None:
        self._command(complaint_id, lambda c: c.complete_review(by=by, at=self.clock()))

    def refer_complaint(self, complaint_id: uuid.UUID | str, *, by: str, note: str | None = None) -> None:
        self._command(complaint_id, lambda c: c.refer(by=by, note=note, at=self.clock()))

    def assign_handler(
        self, complaint_id: uuid.UUID | str, *, handler_kind: HandlerKind | str, handler: str, by: str
    ) -> str:
        """The SG chooses the handler; returns why the handler is eligible. A conflict of interest is refused
        with the reasons, and the refused attempt is kept on the complaint for the audit."""
        if str(handler_kind) == HandlerKind.UNIT:
            self._check_unit(handler, "handling unit")
        try:
            return self._command(
                complaint_id,
                lambda c: c.assign_handler(
                    handler_kind=handler_kind, handler=handler, units_of=self.units_of, by=by, at=self.clock()
                ),
            )
        except ConflictOfInterest as refused:
            complaint = self.get_complaint(complaint_id)
            complaint.refuse_assignment(
                handler_kind=handler_kind, handler=handler, reasons=refused.reasons, by=by, at=self.clock()
            )
            try:
                self.save(complaint)
            except IntegrityError:
                log.warning("a refused assignment could not be recorded: the complaint changed meanwhile")
            raise

    def file_investigation(
        self,
        complaint_id: uuid.UUID | str,
        *,
        by: str,
        by_unit: str | None,
        circumstances: str,
        root_causes: str,
        consequences: str,
        actions_taken: str,
    ) -> None:
        self._command(
            complaint_id,
            lambda c: c.report_investigation(
                circumstances=clean_text(circumstances) or "",
                root_causes=clean_text(root_causes) or "",
                consequences=clean_text(consequences) or "",
                actions_taken=clean_text(actions_taken) or "",
                by=by,
                by_unit=by_unit,
                at=self.clock(),
            ),
        )

    def decide_complaint(self, complaint_id: uuid.UUID | str, *, decision: str, reason: str | None, by: str) -> None:
        self._command(
            complaint_id, lambda c: c.decide(decision=decision, reason=clean_text(reason), by=by, at=self.clock())
        )

    def convene_committee(
        self,
        complaint_id: uuid.UUID | str,
        *,
        subject: str,
        variable_members: Iterable[str] = (),
        meeting_at: datetime | None = None,
        by: str,
    ) -> None:
        """Fixed members from the configuration; variable members per subject, and (as the procedure has it) the
        manager of the unit concerned."""

        def act(c: Complaint) -> None:
            variable = list(variable_members)
            unit = next((u for u in self.organisation.units if c.unit and u.id == c.unit), None)
            if unit and unit.manager:
                variable.append(unit.manager)
            c.convene_committee(
                subject=clean_text(subject) or "",
                fixed_members=list(self.config.committee_fixed_members),
                variable_members=variable,
                meeting_at=aware(meeting_at, self.calendar),
                by=by,
                at=self.clock(),
            )

        self._command(complaint_id, act)

    def forgo_committee(self, complaint_id: uuid.UUID | str, *, reason: str | None, by: str) -> None:
        self._command(complaint_id, lambda c: c.forgo_committee(reason=clean_text(reason), by=by, at=self.clock()))

    def record_committee_decision(
        self,
        complaint_id: uuid.UUID | str,
        *,
        attendees: Iterable[str],
        decision: str,
        reasoning: str,
        corrective_actions: Iterable[Mapping[str, Any]] = (),
        held_at: datetime | None = None,
        by: str,
    ) -> list[dict[str, Any]]:
        return self._command(
            complaint_id,
            lambda c: c.record_committee_decision(
                attendees=list(attendees),
                decision=decision,
                reasoning=clean_text(reasoning) or "",
                corrective_actions=[dict(a) for a in corrective_actions],
                held_at=aware(held_at, self.calendar) or self.clock(),
                by=by,
                at=self.clock(),
            ),
        )

    def complete_corrective_action(
        self, complaint_id: uuid.UUID | str, action_id: str, *, by: str, note: str | None = None
    ) -> None:
        self._command(
            complaint_id,
            lambda c: c.complete_corrective_action(action_id=action_id, note=clean_text(note), by=by, at=self.clock()),
        )

    def notify_member(self, complaint_id: uuid.UUID | str, *, method: str, message: str, by: str) -> None:
        self._command(
            complaint_id,
            lambda c: c.notify_member(method=method, message=clean_text(message) or "", by=by, at=self.clock()),
        )

    def close_complaint(self, complaint_id: uuid.UUID | str, *, by: str, note: str | None = None) -> None:
        self._command(complaint_id, lambda c: c.close(note=clean_text(note), by=by, at=self.clock()))

    def record_satisfaction(
        self,
        complaint_id: uuid.UUID | str,
        *,
        by: str,
        score: int | None = None,
        satisfied: bool | None = None,
        comment: str | None = None,
    ) -> None:
        self._command(
            complaint_id,
            lambda c: c.record_satisfaction(
                score=score, satisfied=satisfied, comment=clean_text(comment), by=by, at=self.clock()
            ),
        )

    def reopen_complaint(self, complaint_id: uuid.UUID | str, *, reason: str, by: str) -> None:
        self._command(complaint_id, lambda c: c.reopen(reason=clean_text(reason) or "", by=by, at=self.clock()))

    def set_confidentiality(self, complaint_id: uuid.UUID | str, *, confidential: bool, reason: str, by: str) -> bool:
        return self._command(
            complaint_id,
            lambda c: c.set_confidentiality(
                confidential=confidential, reason=clean_text(reason) or "", by=by, at=self.clock()
            ),
        )

    def attach_document(
        self,
        complaint_id: uuid.UUID | str,
        content: bytes,
        *,
        media_type: str | None,
        filename: str | None,
        by: str | None,
    ) -> tuple[StoredDocument, bool]:
        """Store the file (content-addressed) and reference it on the form; (document, False) when the complaint
        already holds the same content."""
        complaint = self.get_complaint(complaint_id)
        if complaint.state == State.CLOSED:
            raise DomainError("the complaint is closed; reopen it to add documents")
        doc = self.documents.put(content, media_type, filename)
        attached = self._command(
            complaint_id,
            lambda c: c.attach_document(
                sha256=doc.sha256,
                size=doc.size,
                media_type=doc.media_type,
                filename=doc.filename,
                by=by,
                at=self.clock(),
            ),
        )
        return doc, attached

    # -- deadlines ---------------------------------------------------------------------------------------------
    def record_breaches(self, now: datetime | None = None) -> list[tuple[uuid.UUID, Stage]]:
        """Record every stage deadline passed and not yet recorded, as DeadlineBreached events; running it again
        records nothing new (one breach per complaint, round and stage)."""
        now = now or self.clock()
        recorded: list[tuple[uuid.UUID, Stage]] = []
        for complaint_id in list(self.lister()):
            for attempt in range(3):
                complaint = self.find_complaint(complaint_id)
                if complaint is None:
                    break
                stages = complaint.record_breaches(self.calendar, self.hours, now)
                if not stages:
                    break
                try:
                    self.save(complaint)
                except IntegrityError:
                    if attempt == 2:
                        log.warning("deadline breaches of a complaint could not be recorded: it kept changing")
                    continue  # changed meanwhile (a step, another checker): look again
                recorded.extend((complaint.id, s) for s in stages)
                break
        return recorded
