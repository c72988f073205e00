"""ComplaintDesk: the complaints service's commands and queries over its event store, the documents kept beside
them, and who may see which complaint. Beside it: the ways complaints come in (receipt.py), the committee's
commands (committee.py), the read-side shapes such as the complaint form ME-FR-01-01-01 (views.py), and the
cleaning of what people type (inputs.py)."""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError

from services.complaints.committee import ComplaintCommittee
from services.complaints.contract import CONTRACT
from services.complaints.documents import DocumentNotFound, DocumentStore, StoredDocument
from services.complaints.domain import (
    Complaint,
    ConflictOfInterest,
    HandlerKind,
    Stage,
    State,
    stage_hours,
)
from services.complaints.inputs import (
    aware,
    clean_text,
    normalise_email,
    normalise_member_number,
    normalise_phone,
    units_of_person,
)
from services.complaints.receipt import ComplaintReceipt
from services.complaints.reports import ComplaintReports
from services.complaints.views import complaint_form, complaint_summary
from shared.calendar import BusinessCalendar
from shared.calendar_feed import describe_change
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.organisation import Organisation
from shared.problems import DomainError, InvalidInput, NotFound
from shared.settings import ComplaintSettings

log = logging.getLogger(__name__)

Lister = Callable[[], Iterable[uuid.UUID]]
COMPLAINANT_FIELDS = frozenset(
    {
        "complainant_name",
        "complainant",
        "contact_phone",
        "contact_phone_raw",
        "contact_email",
        "description",
        "note",
        "circumstances",
        "root_causes",
        "consequences",
        "actions_taken",
        "Decided.reason",
        "CommitteeNotConvened.reason",
        "Reopened.reason",
        "ConfidentialityChanged.reason",
        "CommitteeConvened.subject",
        "reasoning",
        "minutes",
        "message",
        "comment",
    }
)
COMPLAINT_TOPIC_PREFIX = f"{Complaint.__module__}:{Complaint.__qualname__}."


class ComplaintNotFound(NotFound):
    pass


class ComplaintDesk(ComplaintReceipt, ComplaintCommittee, ComplaintReports, CrmApplication):  # type: ignore[misc]  # mixins declare save() loosely
    service: ClassVar[str] = "complaints"
    contract: ClassVar[EventContract] = CONTRACT
    # The complainant's name and contact details, and every free text written by them or about their case (the
    # description, notes, the investigation, decisions' reasons, the committee's subject, reasoning and minutes,
    # the message sent to them, their comment on the result): sealed per complaint, whose complainant they are
    # (shared/privacy.py). The erasure's own reason, and the reasons of deadline moves, stay readable.
    personal_fields: ClassVar[dict[str, frozenset[str]]] = {"Complaint": COMPLAINANT_FIELDS}

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
        return self.find_aggregate(complaint_id, Complaint)

    def get_complaint(self, complaint_id: uuid.UUID | str) -> Complaint:
        return self.get_aggregate(complaint_id, Complaint, ComplaintNotFound, f"no complaint with id {complaint_id}")

    def summary(self, complaint: Complaint) -> dict[str, Any]:
        return complaint_summary(complaint, self.calendar, self.hours)

    def view(self, complaint_id: uuid.UUID | str) -> dict[str, Any]:
        return self.summary(self.get_complaint(complaint_id))

    def _events(self, complaint: Complaint) -> list[Any]:
        return list(self.repository.event_store.get(complaint.id))

    def history(self, complaint_id: uuid.UUID | str) -> list[dict[str, Any]]:
        """Every event of the complaint, oldest first, as consumers see them on Kafka."""
        return self.event_history(self.get_complaint(complaint_id).id)

    def complaint_form(self, complaint_id: uuid.UUID | str) -> dict[str, Any]:
        """Form ME-FR-01-01-01 of the complaint (views.complaint_form)."""
        complaint = self.get_complaint(complaint_id)
        return complaint_form(complaint, self.summary(complaint), self._events(complaint), self.calendar, self.contract)

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
                    ids[uuid.UUID(str(n.originator_id))] = None
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

    # -- commands on a complaint -------------------------------------------------------------------------------
    def erase_complainant(self, complaint_id: uuid.UUID | str, reason: str, *, by: str | None) -> None:
        """Forget the complainant: delete the key sealing their name and contact details, then record the erasure
        (the key first, so that nothing reading the event still opens the data)."""
        complaint = self.get_complaint(complaint_id)
        assert self.sealer is not None  # the desk seals personal data (personal_fields)
        self.sealer.keys.delete(str(complaint.id))
        complaint.erase_complainant(reason=reason, by=by, at=self.clock())
        self.save_or_conflict(complaint, what="the complaint")

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
        none: bool = False,
    ) -> bool:
        units = list(units)
        for unit in units:
            self._check_unit(unit, "unit complained about")
        return self._command(
            complaint_id,
            lambda c: c.record_stakeholders(
                units=units,
                persons=persons,
                participants=participants,
                complainant=complainant,
                none=none,
                by=by,
                at=self.clock(),
            ),
        )

    def assess_complaint(
        self,
        complaint_id: uuid.UUID | str,
        *,
        severity: str,
        urgency: str,
        complexity: str,
        immediate_action: bool,
        note: str | None = None,
        by: str,
    ) -> bool:
        return self._command(
            complaint_id,
            lambda c: c.assess(
                severity=severity,
                urgency=urgency,
                complexity=complexity,
                immediate_action=immediate_action,
                note=clean_text(note),
                by=by,
                at=self.clock(),
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

    def decide_complaint(
        self,
        complaint_id: uuid.UUID | str,
        *,
        decision: str,
        reason: str | None,
        by: str,
        follow_up_by: str | None = None,
    ) -> None:
        self._command(
            complaint_id,
            lambda c: c.decide(
                decision=decision, reason=clean_text(reason), follow_up_by=follow_up_by, by=by, at=self.clock()
            ),
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
    def move_deadlines(
        self, before: BusinessCalendar, change: str, kind: str, data: Mapping[str, Any]
    ) -> list[tuple[uuid.UUID, Stage]]:
        """The chamber's calendar changed (from `before` to `self.calendar`, by the change with event id `change`):
        record a DeadlineMoved event on every open complaint whose running stage's deadline it moves, with the
        old and new deadline and the change as the reason. Idempotent per change: told again, it records nothing."""
        reason = describe_change(kind, data)
        moved: list[tuple[uuid.UUID, Stage]] = []
        for complaint_id in list(self.lister()):
            for attempt in range(3):
                complaint = self.find_complaint(complaint_id)
                if complaint is None or not complaint.is_open:
                    break
                stage = complaint.move_deadline(
                    before=before, after=self.calendar, hours=self.hours, change=change, reason=reason, at=self.clock()
                )
                if stage is None:
                    break
                try:
                    self.save(complaint)
                except IntegrityError:
                    if attempt == 2:
                        log.warning("a moved deadline of a complaint could not be recorded: it kept changing")
                    continue  # changed meanwhile: look again
                moved.append((complaint.id, stage))
                break
        return moved

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
