"""The public website form (no staff token), with the abuse protection a public form needs, and the reading of
request bodies that both this form and the staff's document uploads share.

Protection: a rate limit per client address (in memory, per process; counted on every attempt, valid or not),
a honeypot field that people never see and robots fill (they get a receipt that leads nowhere, so they learn
nothing), limits on the size of the whole request, of each text and of each attachment, and a maximum number of
attachments whose types are recognised by their content. Text is stored as text: it is never rendered as markup
by this service, and documents are served as downloads with `nosniff`.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.complaints.application import ComplaintDesk
from services.complaints.domain import Kind, complaint_id_for_reference, new_reference
from services.complaints.public_problems import LocalisedProblems
from services.complaints.tracking import (
    chamber_language,
    choose_language,
    new_secret,
    opens,
    public_status,
    secret_hash,
    texts,
)
from shared.http import read_body as read_bounded_body
from shared.problems import InvalidInput, problem
from shared.ratelimit import RateLimiter
from shared.settings import ComplaintSettings
from shared.validation import SaneDatetime, control_characters_in

HONEYPOT = "homepage"


# -- reading bodies ------------------------------------------------------------------------------------------------
async def read_body(request: Request, limit: int, what: str = "the request") -> bytes:
    """The request body, refused (413) as soon as it passes `limit` bytes, announced or not."""
    return await read_bounded_body(request, limit, f"{what} may be at most {limit // 1024} KiB")


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str | None
    content_type: str | None
    content: bytes


def parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[UploadedFile]]:
    """multipart/form-data with the standard library (python-multipart is not a dependency): text fields, files."""
    message = BytesParser(policy=policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise InvalidInput("the multipart body could not be read (boundary missing?)")
    fields: dict[str, str] = {}
    files: list[UploadedFile] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        filename = part.get_filename()
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):  # a nested multipart part is no field of this form
            payload = b""
        if filename is not None:
            files.append(UploadedFile(str(name), filename, part.get_content_type(), payload))
        else:
            try:
                fields[str(name)] = payload.decode(part.get_content_charset() or "utf-8")
            except (UnicodeDecodeError, LookupError):
                raise InvalidInput(f"the field {name!r} is not UTF-8 text") from None
    return fields, files


def client_address(request: Request, config: ComplaintSettings) -> str:
    if config.trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            # The right-most entry is the one our own proxy added; those before it are the client's to invent.
            return forwarded.split(",")[-1].strip()
    return request.client.host if request.client else "unknown"


# -- schemas -------------------------------------------------------------------------------------------------------
class PublicAttachment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str | None = Field(default=None, max_length=255, description="the file's name on the sender's computer")
    content_type: str | None = Field(
        default=None, max_length=100, description="the file's type, e.g. application/pdf or image/jpeg"
    )
    data: str = Field(description="the file, base64-encoded")


class PublicComplaintIn(BaseModel):
    """The website form. `homepage` is the honeypot: hidden from people, left empty by them."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "kind": "complaint",
                    "description": "برای تمدید کارت بازرگانی سه بار مراجعه کردم و هر بار مدرک تازه ای خواستند.",
                    "occurred_at": "2026-11-22T11:00:00",
                    "name": "Ayşe Demir",
                    "phone": "09147654321",
                    "email": "ayse.demir@example.com",
                    "member_number": "14010872",
                    "unit": "membership",
                    "language": "tr",
                }
            ]
        },
    )
    kind: Kind = Field(default=Kind.COMPLAINT, description="complaint, criticism, suggestion or reported_problem")
    description: str = Field(min_length=1, max_length=20_000, description="the message in the sender's words")
    occurred_at: SaneDatetime | None = Field(
        default=None, description="local time of the chamber when no zone is given"
    )
    name: str = Field(min_length=1, max_length=200, description="the sender's full name")
    phone: str | None = Field(default=None, max_length=40, description="a telephone number to reach the sender on")
    email: str | None = Field(default=None, max_length=254, description="an e-mail address to reach the sender at")
    member_number: str | None = Field(
        default=None, max_length=60, description="the sender's membership number, when a member"
    )
    unit: str | None = Field(default=None, max_length=100, description="the unit concerned, if known")
    service: str | None = Field(default=None, max_length=300, description="the service concerned")
    homepage: str | None = Field(
        default=None,
        max_length=2000,
        description="leave empty: hidden from people on the form, so that a robot filling it in is recognised",
    )
    language: Literal["fa", "tr", "en"] | None = Field(
        default=None, description="the language of the answers; default: from Accept-Language, else the chamber's"
    )
    attachments: list[PublicAttachment] = Field(
        default=[],
        max_length=20,
        description="supporting files, base64-encoded (multipart submissions send them as files instead)",
    )


class PublicReceipt(BaseModel):
    reference: str = Field(description="the tracking reference to quote when contacting the chamber")
    secret: str = Field(description="with the reference, opens the tracking page; shown only this once")
    language: str = Field(description="the language the answers and the tracking page use: fa, tr or en")
    received_at: datetime = Field(description="when the submission was received (UTC)")
    message: str = Field(description="what the submitter is told, in the chamber's language")


class TrackingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"examples": [{"reference": "CMP-7K2Q-M4XD", "secret": "q8ZfT3nW5rXc", "language": "fa"}]},
    )
    reference: str = Field(min_length=1, max_length=20, description="the tracking reference given at submission")
    secret: str = Field(min_length=1, max_length=100, description="the secret given with it at submission")
    language: Literal["fa", "tr", "en"] | None = Field(default=None, description="default: the complaint's language")


class TrackedDate(BaseModel):
    step: str = Field(description="the step reached, e.g. received, acknowledged, decided, closed")
    label: str = Field(description="the step's name in the complainant's language")
    at: datetime = Field(description="when the step was reached (UTC)")
    at_local: str = Field(description="the same moment in the chamber's calendar and time zone (Solar Hijri in Iran)")


class TrackingPublic(BaseModel):
    reference: str = Field(description="the tracking reference")
    language: str = Field(description="the language of the texts: fa, tr or en")
    title: str = Field(description="the page's title in that language")
    kind: str = Field(description="complaint, criticism, suggestion or reported_problem, in that language")
    state: str = Field(description="the message's state in the procedure, e.g. received, under_review, closed")
    stage: str = Field(description="where the complaint is, in the complainant's language")
    dates: list[TrackedDate] = Field(description="the steps reached so far, oldest first")


def _refuse_control_characters(data: Any) -> None:
    errors = [
        {"type": "control_character", "loc": loc, "msg": msg} for loc, msg in control_characters_in(data, ("body",))
    ]
    if errors:
        raise RequestValidationError(errors)


def get_limiter(request: Request) -> RateLimiter:
    return request.app.state.public_limiter


def get_tracking_limiter(request: Request) -> RateLimiter:
    return request.app.state.tracking_limiter


# Every refusal of these endpoints reaches the complainant in his or her language (public_problems).
public = APIRouter(prefix="/public", tags=["public"], route_class=LocalisedProblems)


@public.post(
    "/complaints",
    status_code=201,
    response_model=PublicReceipt,
    summary="The website's complaint, criticism and suggestion form (no token); returns a tracking reference",
    responses={
        413: {"description": "too large"},
        415: {"description": "not JSON or multipart"},
        429: {"description": "too many submissions"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": PublicComplaintIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {"type": "object", "description": "the same fields; files in `attachments`"}
                },
            },
        }
    },
)
async def submit_public_complaint(request: Request, limiter: Annotated[RateLimiter, Depends(get_limiter)]) -> Any:
    """The chamber website's form, open to anyone without a token: a complaint, criticism or suggestion as JSON or multipart with attachments. The answer gives the tracking reference to quote later. Submissions are limited per address, and a filled-in honeypot field is quietly dropped."""
    desk: ComplaintDesk = request.app.state.desk
    config: ComplaintSettings = request.app.state.complaint_settings
    wait = limiter.hit(client_address(request, config))
    if wait is not None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        response = problem(
            429,
            "Too many requests",
            f"too many submissions from this address; try again in {seconds} seconds",
            instance=request.url.path,
        )
        response.headers["Retry-After"] = str(seconds)
        return response
    body = await read_body(request, config.public_max_body_bytes, "the form with its attachments")
    content_type = request.headers.get("content-type", "")
    media = content_type.split(";")[0].strip().lower()
    attachments: list[tuple[bytes, str | None, str | None]] = []
    try:
        if media == "application/json":
            try:
                raw = json.loads(body or b"null")
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise InvalidInput(f"the body is not JSON: {exc}") from None
            _refuse_control_characters(raw)
            form = PublicComplaintIn.model_validate(raw)
            for i, a in enumerate(form.attachments):
                try:
                    attachments.append((base64.b64decode(a.data, validate=True), a.content_type, a.filename))
                except (binascii.Error, ValueError):
                    raise InvalidInput(f"attachments[{i}]: data is not base64") from None
        elif media == "multipart/form-data":
            fields, files = parse_multipart(content_type, body)
            _refuse_control_characters(fields)
            form = PublicComplaintIn.model_validate(fields)
            attachments = [(f.content, f.content_type, f.filename) for f in files if f.content or f.filename]
        else:
            return problem(
                415,
                "Unsupported media type",
                "send the form as application/json or multipart/form-data",
                instance=request.url.path,
            )
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors(include_url=False)]
        ) from None
    language = choose_language(form.language, request.headers.get("accept-language"), chamber_language(desk.region))
    request.state.language = language  # the form's choice: refusals from here on are in it
    received = texts(language)["received"]
    secret = new_secret()
    if form.homepage:
        # Exactly what a person gets, so the robot cannot tell; nothing is stored.
        return {
            "reference": new_reference(),
            "secret": secret,
            "language": language,
            "received_at": desk.clock(),
            "message": received,
        }
    if len(form.description) > config.public_max_text:
        raise InvalidInput(f"description: at most {config.public_max_text} characters; it has {len(form.description)}")
    if len(attachments) > config.public_max_attachments:
        raise InvalidInput(f"attachments: at most {config.public_max_attachments} files; {len(attachments)} were sent")
    complaint = await run_in_threadpool(
        desk.receive_from_website,
        kind=form.kind,
        description=form.description,
        complainant_name=form.name,
        phone=form.phone,
        email=form.email,
        occurred_at=form.occurred_at,
        member_number=form.member_number,
        unit=form.unit,
        service=form.service,
        attachments=attachments,
        max_attachment_bytes=config.public_max_attachment_bytes,
        tracking_hash=secret_hash(secret),
        language=language,
    )
    return {
        "reference": complaint.reference,
        "secret": secret,
        "language": language,
        "received_at": complaint.received_at,
        "message": received,
    }


@public.post(
    "/complaints/track",
    response_model=TrackingPublic,
    summary="The complainant follows a message with its reference and secret (no token): its stage and dates",
    responses={404: {"description": "no message with this reference and secret"}, 429: {"description": "too many"}},
)
def track_complaint(
    request: Request, body: TrackingIn, limiter: Annotated[RateLimiter, Depends(get_tracking_limiter)]
) -> Any:
    """The secret travels in the body, never in the address, so that it stays out of access logs."""
    desk: ComplaintDesk = request.app.state.desk
    config: ComplaintSettings = request.app.state.complaint_settings
    wait = limiter.hit(client_address(request, config))
    asked = choose_language(body.language, request.headers.get("accept-language"), chamber_language(desk.region))
    request.state.language = asked
    if wait is not None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        response = problem(429, "Too many requests", f"try again in {seconds} seconds", instance=request.url.path)
        response.headers["Retry-After"] = str(seconds)
        return response
    try:
        complaint = desk.find_complaint(complaint_id_for_reference(body.reference.upper()))
    except ValueError:
        complaint = None
    if complaint is None or not opens(complaint, body.secret):
        # One answer for an unknown reference and a wrong secret: neither tells whether the other was right.
        return problem(404, "Not found", texts(asked)["not_found"], instance=request.url.path)
    language = body.language or complaint.language or asked
    return public_status(complaint, language, desk.calendar)
