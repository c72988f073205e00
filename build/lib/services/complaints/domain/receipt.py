"""Receipt of a complaint from every channel, with its rules: in person, by phone (linked to its call), from the
website and automatically from another service (unique by its source reference); the kind, the description, the
time of occurrence, the stakeholders given at receipt and the tracking reference."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.complaints.domain.complaint_state import text_of
from services.complaints.domain.conflicts import empty_stakeholders, normalise_stakeholders
from services.complaints.domain.references import new_reference, reference_for_source
from services.complaints.domain.vocabulary import Channel, Kind
from shared.errors import InvalidInput


def received(
    *,
    channel: Channel | str,
    kind: Kind | str,
    description: str,
    at: datetime,
    by: str | None,
    occurred_at: datetime | None = None,
    member_number: str | None = None,
    complainant_name: str | None = None,
    contact_phone: str | None = None,
    contact_phone_raw: str | None = None,
    contact_email: str | None = None,
    unit: str | None = None,
    service: str | None = None,
    stakeholders: Mapping[str, Any] | None = None,
    confidential: bool = False,
    call_id: str | None = None,
    source: str | None = None,
    source_ref: str | None = None,
    reference: str | None = None,
) -> dict[str, Any]:
    """The rules of receipt, every channel: the Received event's data, normalised, or a refusal."""
    try:
        channel = Channel(channel)
    except ValueError:
        raise InvalidInput(f"channel {channel!r} is not one of {', '.join(Channel)}") from None
    try:
        kind = Kind(kind)
    except ValueError:
        raise InvalidInput(f"kind {kind!r} is not one of {', '.join(Kind)}") from None
    text = text_of(description, "the description of the complaint")
    call_id = (call_id or "").strip() or None
    if channel == Channel.PHONE and not call_id:
        raise InvalidInput("a complaint taken by phone is linked to its call: give the call id")
    if channel != Channel.PHONE and call_id:
        raise InvalidInput("only a complaint taken by phone is linked to a call")
    source_ref = (source_ref or "").strip() or None
    if channel == Channel.AUTOMATIC:
        if not source_ref:
            raise InvalidInput("an automatic complaint needs the source reference that makes it unique")
        if not (source or "").strip():
            raise InvalidInput("an automatic complaint names the service it came from")
    elif source_ref:
        raise InvalidInput("only an automatic complaint has a source reference")
    if occurred_at is not None and occurred_at > at:
        raise InvalidInput("the time of occurrence is in the future")
    if reference is None:
        reference = reference_for_source(source_ref) if source_ref else new_reference()
    people = dict(stakeholders or empty_stakeholders())
    people = normalise_stakeholders(
        units=people.get("units"),
        persons=people.get("persons"),
        participants=people.get("participants"),
        complainant=people.get("complainant") or complainant_name,
    )
    return dict(
        reference=reference,
        channel=channel.value,
        kind=kind.value,
        description=text,
        occurred_at=occurred_at,
        member_number=member_number,
        complainant_name=(complainant_name or "").strip() or None,
        contact_phone=contact_phone,
        contact_phone_raw=contact_phone_raw,
        contact_email=contact_email,
        unit=unit,
        service=(service or "").strip() or None,
        stakeholders=people,
        confidential=confidential,
        call_id=call_id,
        source=(source or "").strip() or None,
        source_ref=source_ref,
        by=by,
        at=at,
    )
