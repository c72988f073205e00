"""Tracking by the complainant (ISO 10002 §7.4/8.3: the complainant can follow the complaint). The website answers
a reference and a secret, shown once; the complaint keeps only a hash of the secret, so neither its events nor
Kafka carry anything that opens it. With both, the complainant sees the stage and the dates, never internal
notes, names or reasons, in the language he or she wrote in (fa, tr, en). The texts are in `locales/<lang>.json`."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from functools import cache
from importlib import resources
from typing import Any

from services.complaints.domain import Complaint
from shared.calendar import BusinessCalendar

LANGUAGES = ("fa", "tr", "en")
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
CHAMBER_LANGUAGE = {"IR": "fa", "TR": "tr"}


@cache
def texts(language: str) -> dict[str, Any]:
    raw = resources.files("services.complaints").joinpath("locales", f"{language}.json").read_text("utf-8")
    return json.loads(raw)


def chamber_language(region: str | None) -> str:
    return CHAMBER_LANGUAGE.get(region or "", "en")


def choose_language(choice: str | None, accept_language: str | None, default: str) -> str:
    """The form's choice if it is one we speak; else the best of Accept-Language (by q, then order); else the
    chamber's language."""
    if choice and choice.strip().lower() in LANGUAGES:
        return choice.strip().lower()
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and q > 0:
            ranked.append((-q, i, primary))
    return min(ranked)[2] if ranked else default


def new_secret() -> str:
    return secrets.token_urlsafe(12)  # 96 bits: beyond guessing under the rate limit


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def opens(complaint: Complaint | None, secret: str) -> bool:
    """Whether the secret opens the complaint (in constant time, so timing tells nothing)."""
    stored: str | None = complaint.tracking_secret_hash if complaint is not None else None
    return stored is not None and hmac.compare_digest(stored, secret_hash(secret))


def public_status(complaint: Complaint, language: str, calendar: BusinessCalendar) -> dict[str, Any]:
    """What the complainant sees: the stage and the dates of the steps taken, nothing written by the staff."""
    t = texts(language)
    c = complaint

    def local(text: str) -> str:
        return text.translate(PERSIAN_DIGITS) if language == "fa" else text

    moments = [
        ("received", c.received_at),
        ("acknowledged", c.acknowledged_at),
        ("decided", c.decided_at),
        ("notified", c.notified_at),
        ("closed", c.closed_at),
    ]
    return {
        "reference": c.reference,
        "language": language,
        "title": t["title"],
        "kind": t["kinds"][c.kind.value],
        "state": c.state.value,
        "stage": t["states"][c.state.value],
        "dates": [
            {"step": key, "label": t["dates"][key], "at": at, "at_local": local(calendar.format(at))}
            for key, at in moments
            if at is not None
        ],
    }
