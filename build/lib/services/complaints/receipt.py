"""How complaints come in: registered by staff (in person, by phone), from the public website form, or opened
automatically for another service, idempotently by its source reference."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from services.complaints.documents import DocumentStore
from services.complaints.domain import Channel, Complaint, Kind, complaint_id_for_source
from services.complaints.inputs import aware, clean_text, normalise_email, normalise_member_number, normalise_phone
from shared.calendar import BusinessCalendar
from shared.clock import Clock
from shared.problems import DomainError, InvalidInput

if TYPE_CHECKING:
    from shared.settings import ComplaintSettings


class ComplaintReceipt:
    """The ways in of ComplaintDesk."""

    calendar: BusinessCalendar
    clock: Clock
    config: ComplaintSettings
    documents: DocumentStore
    region: str

    if TYPE_CHECKING:

        def _check_unit(self, unit: str | None, what: str = "unit") -> str | None: ...
        def find_complaint(self, complaint_id: uuid.UUID | str) -> Complaint | None: ...
        def save(self, *objs: Any) -> Any: ...

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
        tracking_hash: str | None = None,
        language: str | None = None,
    ) -> Complaint:
        """The public form: registered and acknowledged at once (the tracking reference is the acknowledgement);
        attachments are checked all before any is stored. With `tracking_hash`, the complainant follows it with
        the reference and the secret whose hash this is, in `language`."""
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
        if tracking_hash:
            complaint.issue_tracking(secret_hash=tracking_hash, language=language or "en", at=at)
        for (data, _media_type, name), doc in zip(attachments, checked, strict=True):
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
