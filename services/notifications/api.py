"""HTTP API of the notifications: the messages with their delivery state, and on the embedded default the local
mailbox and SMS outbox, as JSON or (format=html) as a small page."""

from __future__ import annotations

import html
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from services.notifications import mailbox as mb
from services.notifications.access import Overseer, Staff, check_box, may_read_box
from services.notifications.application import MessageNotFound, Notifier
from services.notifications.schemas import Box, MailPublic, MessageDetail, MessagePage
from shared.errors import NotFound
from shared.privacy import ERASED
from shared.validation import Limit, Offset


def get_notifier(request: Request) -> Notifier:
    return request.app.state.notifier


NotifierDep = Annotated[Notifier, Depends(get_notifier)]
Format = Annotated[Literal["json", "html"], Query(description="json (default) or html: a page to read in a browser")]
Status = Literal["queued", "retrying", "sending", "delivered", "failed", "cancelled"]

router = APIRouter(tags=["notifications"])
# The pages answer format=html with text/html: documented, so that a client knows both.
HTML: dict[int | str, dict[str, Any]] = {200: {"content": {"text/html": {"schema": {"type": "string"}}}}}


@router.get("/notifications", response_model=MessagePage, summary="Messages and their delivery state")
def list_messages(
    notifier: NotifierDep,
    _: Overseer,
    status: Status | None = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    recipient: Annotated[str | None, Query(max_length=300)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Every message the notifier asked for, newest first, with its state: queued, retrying (with the next attempt's time and the last error), delivered or failed. For the operators, the auditor, the SG and the member-relations manager: a failed message names why (no address known, the mail server refused it)."""
    items, total = notifier.search(status=status, kind=kind, recipient=recipient, limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.get("/notifications/{message_id}", response_model=MessageDetail, summary="One message, with its text")
def get_message(message_id: uuid.UUID, notifier: NotifierDep, _: Overseer) -> Any:
    """One message as sent (or as it will be sent), with its text and delivery state; every attempt is also an event in the audit export."""
    return notifier.detail(message_id)


def _folder(request: Request, sms: bool) -> Path:
    data_dir = request.app.state.settings.data_dir
    return mb.sms_folder(data_dir) if sms else mb.mailbox_folder(data_dir)


def _rtl(text: str) -> bool:
    """Written in Persian (Arabic script): the page reads right to left, its Latin parts (numbers, names) inside."""
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


STYLE = (
    "body{font-family:'Noto Naskh Arabic','Noto Sans',sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem}"
    ".text{white-space:pre-wrap;line-height:1.8;border-top:1px solid #ccc;padding-top:1rem}"
    "dt{font-weight:bold}dd{margin-inline-start:1.5rem}li{margin:.3rem 0}"
)


def _page(title: str, rows: list[str], text: str = "") -> HTMLResponse:
    body = "".join(rows) or "<p>Nothing here yet.</p>"
    direction = "rtl" if _rtl(title + text) else "ltr"
    return HTMLResponse(
        f'<!doctype html><html dir="{direction}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def _boxes(request: Request, principal: Any, sms: bool, fmt: str, base: str) -> Any:
    found = [
        b
        for b in mb.boxes(_folder(request, sms))
        if may_read_box(principal, b["address"], request.app.state.organisation)
    ]
    if fmt == "html":
        rows = [
            f'<li><a href="{base}/{html.escape(b["address"])}?format=html">{html.escape(b["address"])}</a> '
            f"({b['messages']})</li>"
            for b in found
        ]
        return _page("Mailbox" if not sms else "SMS outbox", ["<ul>", *rows, "</ul>"] if rows else [])
    return found


def _unless_erased(notifier: Notifier, mail: dict[str, Any]) -> dict[str, Any]:
    """A mail as kept, or, when the notifier's message it was sent as now reads [erased] (someone it names was
    erased), with its subject and text [erased] too."""
    try:
        mid = uuid.UUID(mail.get("message") or "")
        erased = notifier.message(mid).body == ERASED
    except (ValueError, MessageNotFound):  # not sent by the notifier, or by another one
        return mail
    return {**mail, "subject": ERASED, "body": ERASED} if erased else mail


def _box(request: Request, principal: Any, address: str, sms: bool, fmt: str, base: str) -> Any:
    check_box(request, principal, address)
    found = mb.messages(_folder(request, sms), address, sms=sms)
    if found is None:
        raise NotFound(f"no box for {address}")
    if not sms:
        found = [_unless_erased(request.app.state.notifier, m) for m in found]
    if fmt == "html":
        rows = [
            f'<li><a href="{base}/{html.escape(address)}/{html.escape(m["name"])}?format=html">'
            f"{html.escape(m.get('subject') or m['body'][:80])}</a> <small>{html.escape(m['date'])}</small></li>"
            for m in found
        ]
        return _page(address, ["<ul>", *rows, "</ul>"])
    return found


def _one(request: Request, principal: Any, address: str, name: str, sms: bool, fmt: str) -> Any:
    check_box(request, principal, address)
    found = mb.message(_folder(request, sms), address, name, sms=sms)
    if found is None:
        raise NotFound(f"no message {name} for {address}")
    if not sms:
        found = _unless_erased(request.app.state.notifier, found)
    if fmt == "html":
        head = "".join(
            f"<dt>{k}</dt><dd>{html.escape(str(found.get(key, '')))}</dd>"
            for k, key in (("From", "sender"), ("To", "to"), ("Date", "date"), ("Subject", "subject"))
            if found.get(key)
        )
        body = found["body"]
        text = f'<div class="text">{html.escape(body)}</div>'
        return _page(found.get("subject") or address, [f'<dl dir="ltr">{head}</dl>', text], body)
    return found


@router.get("/mailbox", response_model=list[Box], responses=HTML, summary="The local mailbox: one box per recipient")
def list_boxes(request: Request, principal: Staff, format: Format = "json") -> Any:
    """On the embedded default the e-mails go to the local mail server started by `crm run`, which keeps them per recipient under the data folder. The operators, the auditor, the SG and the member-relations manager see every box; any other member of the staff sees only his or her own."""
    return _boxes(request, principal, False, format, "/mailbox")


@router.get(
    "/mailbox/{address}",
    response_model=list[MailPublic],
    responses=HTML,
    summary="The messages of one box, newest first",
)
def list_mail(address: str, request: Request, principal: Staff, format: Format = "json") -> Any:
    """The e-mails received for one address, newest first, each with its subject and text."""
    return _box(request, principal, address, False, format, "/mailbox")


@router.get(
    "/mailbox/{address}/{name}", response_model=MailPublic, responses=HTML, summary="One e-mail of the local mailbox"
)
def get_mail(address: str, name: str, request: Request, principal: Staff, format: Format = "json") -> Any:
    """One e-mail as the recipient would read it: sender, date, subject and text."""
    return _one(request, principal, address, name, False, format)


@router.get(
    "/sms-outbox", response_model=list[Box], responses=HTML, summary="The local SMS outbox: one box per phone number"
)
def list_sms_boxes(request: Request, principal: Staff, format: Format = "json") -> Any:
    """Without an SMS gateway (the embedded default) each SMS is kept as a file per phone number under the data folder; the same people as for the mailbox read it."""
    return _boxes(request, principal, True, format, "/sms-outbox")


@router.get(
    "/sms-outbox/{number}", response_model=list[MailPublic], responses=HTML, summary="The SMS kept for one number"
)
def list_sms(number: str, request: Request, principal: Staff, format: Format = "json") -> Any:
    """The SMS kept for one phone number, newest first."""
    return _box(request, principal, number, True, format, "/sms-outbox")


@router.get(
    "/sms-outbox/{number}/{name}", response_model=MailPublic, responses=HTML, summary="One SMS of the local outbox"
)
def get_sms(number: str, name: str, request: Request, principal: Staff, format: Format = "json") -> Any:
    """One SMS as the member's phone would show it."""
    return _one(request, principal, number, name, True, format)
