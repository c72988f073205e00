"""What the notifications API returns: messages with their delivery state, and the local mailbox's contents."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class MessagePublic(BaseModel):
    id: str = Field(description="The message's id: a uuid5 of its source event, its kind and its recipient")
    kind: str = Field(
        description="What it says: end_of_day_list, complaint_acknowledged, complaint_closed, desk_registration, "
        "desk_reminder, desk_announcement, session_invitation, queue_item, survey_weekly_summary, desk_ratio_report"
    )
    channel: str = Field(description="email or sms")
    recipient: str = Field(description="Who: a staff user name, a complaint's reference or a desk registration number")
    address: str | None = Field(description="The e-mail address or phone number used; null when none is known")
    language: str = Field(description="The language it was written in: fa, tr or en")
    subject: str = Field(description="The e-mail's subject (empty for an SMS)")
    status: str = Field(
        description="queued, retrying (an attempt failed; tried again later), sending (a replica claimed the "
        "attempt; next_attempt_at is when its claim runs out), delivered, failed or cancelled (a reminder "
        "withdrawn before its day)"
    )
    attempts: int = Field(description="Attempts made so far")
    next_attempt_at: datetime | None = Field(description="When it is tried next; null once delivered or failed")
    last_error: str | None = Field(description="Why the last attempt failed, for the operators")
    source_type: str = Field(description="The event that asked for it (CloudEvents type)")
    requested_at: datetime = Field(description="When the notifier took the source event")


class MessageDetail(MessagePublic):
    body: str = Field(description="The text as sent (the SMS text for an SMS)")


class MessagePage(BaseModel):
    items: list[MessagePublic] = Field(description="The messages of this page, newest first")
    total: int = Field(description="How many messages match in all")
    limit: int = Field(description="The page size asked for")
    offset: int = Field(description="The rows skipped")


class Box(BaseModel):
    address: str = Field(description="The recipient's address as the box is named (lower case)")
    messages: int = Field(description="How many messages the box holds")


class MailPublic(BaseModel):
    name: str = Field(description="The file's name in the box (its time of arrival, then a random part)")
    to: str = Field(description="The recipient's address")
    date: str = Field(description="When it was sent, as the message says")
    body: str = Field(description="The text")
    subject: str = Field(default="", description="The e-mail's subject (empty for an SMS)")
    sender: str = Field(default="", description="The e-mail's From header (empty for an SMS)")
