"""Request bodies of the specialised sessions of trade groups (services/desks/session_api.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from services.desks.domain import MAX_TEXT
from services.desks.schemas import LANGUAGE, Body
from shared.validation import SaneDate, SaneDatetime


class SessionPlan(Body):
    trade_group: str = Field(
        min_length=1, max_length=200, description="the trade group the session is for", examples=["textile exporters"]
    )
    starts_at: SaneDatetime = Field(
        description="when the session starts, with its offset", examples=["2026-12-02T10:00:00+03:30"]
    )
    place: str = Field(min_length=1, max_length=300, description="the venue", examples=["Chamber hall 1"])
    topics: list[str] = Field(
        min_length=1,
        max_length=50,
        description="the topics of the programme the SG approves",
        examples=[["export refund delays", "customs valuation"]],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "trade_group": "textile exporters",
                    "starts_at": "2026-12-02T10:00:00+03:30",
                    "place": "Chamber hall 1",
                    "topics": ["export refund delays", "customs valuation"],
                }
            ]
        }
    )


class Invitee(Body):
    member_id: str = Field(
        min_length=1, max_length=100, description="the member's id in the member database", examples=["M-1042"]
    )
    name: str = Field(min_length=1, max_length=200, description="the member's name", examples=["Ali Rahmani"])
    company: str | None = Field(
        default=None, max_length=300, description="the member's company", examples=["Rahmani Textiles"]
    )
    phone: str | None = Field(
        default=None, max_length=40, description="the mobile number the invitation goes to", examples=["09131234567"]
    )
    language: Literal["fa", "tr", "en"] | None = LANGUAGE


class InviteeSelection(Body):
    """The members of a saved selection of the member database, as it was taken (frozen here)."""

    selection_id: str = Field(
        min_length=1, max_length=100, description="the members service's selection id", examples=["sel-2026-11-textile"]
    )
    criteria: dict[str, list[str]] = Field(
        default_factory=dict,
        description="what the selection asked: activity, products, partner_countries",
        examples=[{"activity": ["textile"], "partner_countries": ["IQ", "TR"]}],
    )
    invitees: list[Invitee] = Field(
        min_length=1, max_length=2000, description="the members invited, as the selection gave them"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "selection_id": "sel-2026-11-textile",
                    "criteria": {"activity": ["textile"], "partner_countries": ["IQ", "TR"]},
                    "invitees": [
                        {"member_id": "M-1042", "name": "Ali Rahmani", "company": "Rahmani Textiles"},
                        {"member_id": "M-2210", "name": "Zeynep Yıldız", "company": "Yıldız Tekstil"},
                    ],
                }
            ]
        }
    )


class Invitations(Body):
    on: SaneDate | None = Field(
        default=None, description="the day they went out; today when omitted", examples=["2026-11-25"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"on": "2026-11-25"}]})


class SessionAttendance(Body):
    attended: list[str] = Field(
        max_length=2000, description="member ids of the invitees who came", examples=[["M-1042"]]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"attended": ["M-1042", "M-2210"]}]})


class SessionProblem(Body):
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the problem as the member raised it",
        examples=["certificates of origin take two weeks at the chamber"],
    )
    about_chamber_service: bool = Field(
        description="true: about the chamber's own services, which opens a complaint", examples=[True]
    )
    service: str | None = Field(
        default=None, max_length=300, description="the chamber's service concerned", examples=["certificates of origin"]
    )
    unit: str | None = Field(default=None, max_length=100, description="the unit that provides it", examples=["trade"])
    member_id: str | None = Field(
        default=None, max_length=100, description="the member who raised it, if known", examples=["M-1042"]
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": "certificates of origin take two weeks at the chamber",
                    "about_chamber_service": True,
                    "service": "certificates of origin",
                    "unit": "trade",
                    "member_id": "M-1042",
                }
            ]
        }
    )


class SessionMinutes(Body):
    summary: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the summary of the minutes SE-FR-02-01-01",
        examples=["Export refunds and valuation discussed; 2 decisions."],
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"summary": "Export refunds and valuation discussed; 2 decisions."}]}
    )


class SessionDecision(Body):
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="what was decided",
        examples=["Ask customs for a valuation guideline"],
    )
    owner: str = Field(
        min_length=1, max_length=200, description="user name of who carries it out", examples=["s.ahmadi"]
    )
    due_on: SaneDate = Field(description="a working day of the chamber", examples=["2026-12-16"])

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"text": "Ask customs for a valuation guideline", "owner": "s.ahmadi", "due_on": "2026-12-16"}]
        }
    )


class DecisionDone(Body):
    note: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="what was done",
        examples=["letter sent to customs, answer received"],
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "letter sent to customs, answer received"}]})
