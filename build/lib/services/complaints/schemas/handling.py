"""What the complaints API is sent from referral to closing: the handler's assignment, the investigation report,
the SG's decision, the committee's meeting and decision with corrective actions, the notification, the member's
satisfaction, reopening and confidentiality, and the deadline check."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.complaints.domain import (
    Decision,
    HandlerKind,
    Outcome,
)
from services.complaints.schemas.intake import Name
from shared.validation import SaneDate, SaneDatetime


class Assignment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"handler_kind": "person", "handler": "z.rahimi"}]}
    )
    handler_kind: HandlerKind = Field(description="person (one named member of staff) or unit")
    handler: str = Field(min_length=1, max_length=200, description="a user name, or a unit id")


class InvestigationReport(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "circumstances": "درخواست گواهی مبدا در ۲۷ آبان ثبت و به دلیل مرخصی کارشناس بررسی نشد.",
                    "root_causes": "جانشین کارشناس در زمان مرخصی تعیین نشده بود.",
                    "consequences": "ارسال محموله عضو به ترکیه یک هفته به تأخیر افتاد.",
                    "actions_taken": "گواهی در ۵ آذر صادر و به عضو تحویل شد.",
                }
            ]
        },
    )
    circumstances: str = Field(min_length=1, max_length=20000, description="what happened, as found")
    root_causes: str = Field(min_length=1, max_length=20000, description="why it happened")
    consequences: str = Field(
        min_length=1, max_length=20000, description="what it caused, for the complainant and the chamber"
    )
    actions_taken: str = Field(min_length=1, max_length=20000, description="what has already been done about it")


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "accepted", "reason": "تأخیر در صدور گواهی تأیید شد"}]},
    )
    decision: Decision = Field(description="accepted (the complaint is founded) or rejected")
    reason: str | None = Field(default=None, max_length=4000, description="required to reject")
    follow_up_by: str | None = Field(
        default=None, max_length=200, description="who follows an accepted complaint up (default: the SG deciding)"
    )


class CommitteeConvening(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "تأخیر در صدور گواهی مبدا و جبران آن",
                    "variable_members": ["f.alavi"],
                    "meeting_at": "2026-12-05T10:00:00+03:30",
                }
            ]
        },
    )
    subject: str = Field(min_length=1, max_length=1000, description="what the committee is asked to decide")
    variable_members: list[Name] = Field(
        default=[],
        max_length=30,
        description="user names of members added for this complaint, beside the standing members",
    )
    meeting_at: SaneDatetime | None = Field(default=None, description="when the committee meets, when already set")
    sg_representative: str | None = Field(
        default=None, max_length=200, description="a representative who may take the SG's seat at this meeting"
    )


class Reason(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "موضوع با اقدام اصلاحی واحد حل شده و به نشست کمیسیون نیاز نیست"}]},
    )
    reason: str | None = Field(default=None, max_length=4000, description="why, kept in the history")


class CorrectiveActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(
        min_length=1, max_length=4000, description="what is to be done so that the problem does not recur"
    )
    owner: str = Field(min_length=1, max_length=200, description="a user name or a unit id")
    due: SaneDate = Field(description="the date by which it must be done (Gregorian)")


class CommitteeDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "attendees": ["sg", "m.karimi", "f.alavi"],
                    "decision": "accepted",
                    "reasoning": "تأخیر ناشی از نبود جانشین در واحد بازرگانی بود.",
                    "minutes": "کمیسیون با حضور دبیرکل تشکیل شد؛ گزارش واحد بازرگانی خوانده و شکایت پذیرفته شد.",
                    "corrective_actions": [
                        {
                            "description": "تعیین جانشین برای هر کارشناس صدور گواهی",
                            "owner": "f.alavi",
                            "due": "2026-12-20",
                        }
                    ],
                }
            ]
        },
    )
    attendees: list[Name] = Field(
        min_length=1, max_length=50, description="user names of those who attended the meeting"
    )
    decision: Outcome = Field(description="accepted, rejected or settled")
    reasoning: str = Field(min_length=1, max_length=8000, description="the reasons minuted for the decision")
    minutes: str = Field(min_length=1, max_length=50000, description="the minutes of the meeting")
    corrective_actions: list[CorrectiveActionIn] = Field(
        default=[], max_length=50, description="corrective actions the committee decided"
    )
    held_at: SaneDatetime | None = Field(default=None, description="defaults to now")


class NotificationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "method": "phone",
                    "message": "شکایت شما پذیرفته شد و برای جلوگیری از تکرار، برای هر کارشناس جانشین تعیین می شود.",
                }
            ]
        },
    )
    method: str = Field(min_length=1, max_length=50, description="phone, sms, email, letter, in_person")
    message: str = Field(min_length=1, max_length=8000, description="what the complainant was told, as sent")


class SatisfactionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"score": 4, "comment": "پیگیری خوب بود ولی کمی طول کشید"}]}
    )
    score: int | None = Field(
        default=None, ge=1, le=5, description="the complainant's score from 1 (very dissatisfied) to 5 (very satisfied)"
    )
    satisfied: bool | None = Field(
        default=None,
        description="whether the complainant is satisfied; when not given, a score of 4 or 5 counts as satisfied",
    )
    comment: str | None = Field(default=None, max_length=4000, description="the complainant's own words")


class Reopening(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "عضو از نتیجه راضی نیست و گواهی دوم نیز با تأخیر صادر شد"}]},
    )
    reason: str = Field(
        min_length=1,
        max_length=4000,
        description="why the complaint is reopened, e.g. the complainant was not satisfied",
    )


class ConfidentialityIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"confidential": True, "reason": "شاکی درخواست کرد نامش از کارشناس مورد شکایت پنهان بماند"}]
        },
    )
    confidential: bool = Field(description="true to hide the complainant's identity, false to show it again")
    reason: str = Field(min_length=1, max_length=2000, description="why, kept in the history")


class BreachCheck(BaseModel):
    recorded: list[dict[str, str]] = Field(
        description="each deadline breach recorded by this check, with the complaint and the stage"
    )
