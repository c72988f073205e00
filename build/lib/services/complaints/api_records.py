"""One complaint as a record: its view, form ME-FR-01-01-01 (JSON, the page to print and the PDF), its history of events,
and its documents (attached, downloaded)."""

from __future__ import annotations

import uuid
from typing import Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from services.complaints import access
from services.complaints.application import ComplaintDesk
from services.complaints.deps import DeskDep, respond
from services.complaints.documents import MEDIA_TYPES
from services.complaints.form_pdf import render_form_pdf
from services.complaints.printing import render_form
from services.complaints.public import parse_multipart, read_body
from services.complaints.schemas import (
    ComplaintEvent,
    ComplaintForm,
    ComplaintPublic,
    DocumentAttachedPublic,
)
from shared.problems import InvalidInput

router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.get("/{complaint_id}", response_model=ComplaintPublic)
def get_complaint(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID) -> Any:
    """The complaint's current record: its state, whose step is next, every deadline and breach, and what each step recorded."""
    return respond(desk, complaint_id)


@router.get(
    "/{complaint_id}/form", response_model=ComplaintForm, summary="Form ME-FR-01-01-01: every step with who and when"
)
def get_complaint_form(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID) -> Any:
    """Form ME-FR-01-01-01 as filled in so far: each step with who did it and when, the dates also in the chamber's calendar, for printing or for the audit."""
    return desk.complaint_form(complaint_id)


@router.get(
    "/{complaint_id}/form/print",
    response_class=HTMLResponse,
    summary="Form ME-FR-01-01-01 to print: every step with who and when, in Persian (right to left) or Turkish",
)
def print_complaint_form(
    desk: DeskDep,
    principal: access.ViewerOf,
    complaint_id: uuid.UUID,
    lang: Literal["fa", "tr"] | None = Query(None, description="default: the chamber's language"),
) -> HTMLResponse:
    """Form ME-FR-01-01-01 as a page to print or save as PDF for the file: each step with who took it and when,
    dates in the chamber's calendar, in Persian (right to left) or Turkish. Anyone who may see the complaint may
    print it; a confidential complainant's identity stays hidden from those not entitled to it."""
    language = lang or ("tr" if desk.region == "TR" else "fa")
    html = render_form(desk.complaint_form(complaint_id), language, desk.calendar.format(desk.clock()))
    return HTMLResponse(html, headers={"Cache-Control": "private, no-store"})


@router.get(
    "/{complaint_id}/form/pdf",
    response_class=Response,
    summary="Form ME-FR-01-01-01 as a PDF: every step with who and when, in Persian (right to left) or Turkish",
    responses={200: {"content": {"application/pdf": {}}, "description": "the form as a PDF (A4)"}},
)
def complaint_form_pdf(
    desk: DeskDep,
    principal: access.ViewerOf,
    complaint_id: uuid.UUID,
    lang: Literal["fa", "tr"] | None = Query(None, description="default: the chamber's language"),
) -> Response:
    """Form ME-FR-01-01-01 as a PDF for the file, the same as the print page: each step with who took it and when, dates in the chamber's calendar, Persian shaped right to left or Turkish. Anyone who may see the complaint may have it."""
    language = lang or ("tr" if desk.region == "TR" else "fa")
    form = desk.complaint_form(complaint_id)
    pdf = render_form_pdf(form, language, desk.calendar.format(desk.clock()))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'attachment; filename="{form["form"]}-{form["reference"]}.pdf"',
        },
    )


@router.get(
    "/{complaint_id}/history", response_model=list[ComplaintEvent], summary="Every event of the complaint as on Kafka"
)
def get_complaint_history(desk: DeskDep, principal: access.HistorianOf, complaint_id: uuid.UUID) -> Any:
    """Every change of the complaint, oldest first, as published to the other services."""
    return desk.history(complaint_id)


@router.post(
    "/{complaint_id}/documents",
    status_code=201,
    response_model=DocumentAttachedPublic,
    summary="Attach a supporting document: the raw file with its Content-Type and ?filename=, or multipart field `file`",
    responses={
        200: {"description": "the complaint already holds this content"},
        413: {"description": "too large"},
        415: {"description": "type not accepted"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                **{t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def attach_document(
    request: Request,
    response: Response,
    principal: access.StaffOf,
    complaint_id: uuid.UUID,
    filename: str | None = Query(None, max_length=255),
) -> Any:
    """Attaches a supporting file (a letter, a photograph, an invoice). The same content attached twice is kept once, and the answer says so."""
    desk: ComplaintDesk = request.app.state.desk
    limit = desk.documents.max_bytes
    body = await read_body(request, limit + 64 * 1024, "the document")
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        _, files = parse_multipart(content_type, body)
        upload = next((f for f in files if f.field == "file"), None)
        if upload is None:
            raise InvalidInput("send the document in the multipart field named `file`")
        content, media_type, name = upload.content, upload.content_type, upload.filename
    else:
        content, media_type, name = body, content_type, filename
    doc, attached = await run_in_threadpool(
        desk.attach_document, complaint_id, content, media_type=media_type, filename=name, by=principal.name
    )
    if not attached:
        response.status_code = 200
    stored = desk.get_complaint(complaint_id).document(doc.sha256) or {}
    return {**stored, "attached": attached}


@router.get(
    "/{complaint_id}/documents/{sha256}",
    response_class=Response,
    summary="Download a document of the complaint",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES}}},
)
def download_document(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID, sha256: str) -> Response:
    """Downloads an attached file by its SHA-256 digest, for anyone who may see the complaint."""
    content, doc = desk.read_document(complaint_id, sha256)
    name = doc.get("filename") or sha256
    return Response(
        content,
        media_type=doc["media_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
