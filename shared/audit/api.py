"""GET /audit/events: an auditor's streaming export of one service's events, on every event-sourced service.

The body is exactly the file `crm audit export --service S` writes for the same days (the same chained lines in
canonical JSON), streamed as it is read so that a year of events never sits in memory. It reads the store up to
the position it had when the request came, so the stream ends even while events keep arriving.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query
from fastapi.responses import StreamingResponse

from shared.audit.digests import Digester, digest_folder, with_digests
from shared.audit.export import Chain, EventReader
from shared.audit.signing import load_private_key
from shared.auth import Role, require
from shared.eventstore import CrmApplication
from shared.settings import Settings
from shared.validation import check_day

MEDIA_TYPE = "application/x-ndjson"


def _day(value: date | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        check_day(value)
    except ValueError as exc:
        raise HTTPException(422, f"{name}: {exc}") from None
    return datetime.combine(value, time(), tzinfo=UTC)


def audit_router(application: CrmApplication) -> APIRouter:
    router = APIRouter(prefix="/audit", tags=["audit"])

    @router.get(
        "/events",
        summary="This service's events as chained canonical JSON Lines (the audit export's file); auditor or admin",
        description=(
            "Streams every event this service stored, oldest first, as canonical JSON (RFC 8785), one per line, each"
            " line carrying the SHA-256 of the line before: byte for byte the file `crm audit export` writes for this"
            " service, so an auditor can check it against a signed manifest. `from` and `to` are UTC days of when the"
            " events were recorded (inclusive); without them, everything."
        ),
        response_class=StreamingResponse,
        responses={200: {"content": {MEDIA_TYPE: {}}}},
        dependencies=[Depends(require(Role.AUDITOR, Role.ADMIN))],
    )
    def stream_events(
        start: Annotated[date | None, Query(alias="from", description="first day (UTC), YYYY-MM-DD")] = None,
        end: Annotated[date | None, Query(alias="to", description="last day (UTC), inclusive")] = None,
    ) -> StreamingResponse:
        lo, hi = _day(start, "from"), _day(end, "to")
        if lo is not None and hi is not None and hi < lo:
            raise HTTPException(422, "to: the last day is before the first")
        last = application.recorder.max_notification_id() or 0
        reader = EventReader(application)

        def lines() -> Iterator[bytes]:
            chain = Chain()
            buffer: list[bytes] = []
            events = reader.encoded(lo, hi + timedelta(days=1) if hi else None, last=last) if last else iter(())
            for position, event in events:
                buffer.append(chain.add(position, event))
                if len(buffer) >= 500:
                    yield b"".join(buffer)
                    buffer.clear()
            if buffer:
                yield b"".join(buffer)

        return StreamingResponse(lines(), media_type=MEDIA_TYPE)

    return router


def install_audit(app: FastAPI, settings: Settings, application: CrmApplication, *, digests: bool = True) -> None:
    """GET /audit/events, and with CRM_AUDIT_KEY_FILE set, a digest of the published events every
    CRM_AUDIT_DIGEST_SECONDS. The relay's position is what was published; without a relay, what was stored.
    `digests=False`: a replica of the API (shared/processes.py), whose primary signs the digests."""
    app.include_router(audit_router(application))
    if settings.audit_key_file is None or not digests:
        return
    digester = Digester(application, digest_folder(settings.data_dir), load_private_key(settings.audit_key_file))

    def published() -> int | None:
        relay = getattr(app.state, "relay", None)
        return relay.published_position if relay is not None else application.recorder.max_notification_id()

    app.router.lifespan_context = with_digests(
        app.router.lifespan_context, digester, settings.audit_digest_seconds, published
    )
