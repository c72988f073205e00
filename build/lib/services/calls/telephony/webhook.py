"""The canonical JSON webhook, for any PBX or middleware that can post JSON."""

from __future__ import annotations

from datetime import UTC

from pydantic import AliasChoices, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.calls.telephony.events import (
    MAX_SECONDS,
    CallDirection,
    CallPurpose,
    TelephonyEvent,
    TelephonyKind,
    normalise_extension,
)
from shared.validation import PbxId


class CallEventIn(BaseModel):
    """A call event posted by the telephone system (or any middleware in front of it) as JSON."""

    model_config = ConfigDict(
        extra="forbid",  # a misspelt field must be an error, not a silently lost fact
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "event_id": "pbx-1710221412.102-answered",
                    "call_id": "1710221400.102",
                    "type": "answered",
                    "at": "2024-03-12T05:30:12Z",
                    "direction": "incoming",
                    "caller": "09131234567",
                    "callee": "03136645000",
                    "queue": "601",
                    "extension": "201",
                    "wait_seconds": 12,
                }
            ]
        },
    )

    event_id: PbxId = Field(description="The PBX's id of this event; repeats are ignored")
    call_id: PbxId = Field(description="The PBX's id of the call")
    type: TelephonyKind = Field(
        description="what happened to the call: ringing, queued, agent_missed (an extension let it ring out), answered, queue_timeout, abandoned (the caller hung up waiting), transferred or completed"
    )
    at: AwareDatetime = Field(description="When it happened, with a UTC offset")
    direction: CallDirection = Field(default="incoming", description="incoming or outgoing")
    # "from"/"to" are what many PBX webhooks call them; the documented names match the rest of the CRM.
    caller: str | None = Field(
        default=None, max_length=100, validation_alias=AliasChoices("caller", "from"), description="Calling number, raw"
    )
    callee: str | None = Field(
        default=None, max_length=100, validation_alias=AliasChoices("callee", "to"), description="Dialled number, raw"
    )
    queue: str | None = Field(
        description="the PBX queue the call came through; mapped to a chamber unit", default=None, max_length=100
    )
    extension: str | None = Field(default=None, max_length=100, description="The answering/missing member's extension")
    target: str | None = Field(default=None, max_length=100, description="For 'transferred': extension or queue")
    purpose: CallPurpose | None = Field(default=None, description="Outgoing calls only")
    wait_seconds: int | None = Field(
        description="seconds the caller waited before this event", default=None, ge=0, le=MAX_SECONDS
    )
    talk_seconds: int | None = Field(
        description="seconds of conversation, on completed", default=None, ge=0, le=MAX_SECONDS
    )

    @field_validator("caller", "callee", "queue", "extension", "target", mode="after")
    @classmethod
    def _empty_is_absent(cls, value: str | None) -> str | None:
        return value or None

    @model_validator(mode="after")
    def _coherent(self) -> CallEventIn:
        if self.purpose is not None and self.direction != "outgoing":
            raise ValueError("purpose is only allowed for outgoing calls")
        if self.target is not None and self.type != "transferred":
            raise ValueError("target is only allowed for type 'transferred'")
        return self

    def to_event(self) -> TelephonyEvent:
        return TelephonyEvent(
            source="webhook",
            event_id=self.event_id,
            call_id=self.call_id,
            kind=self.type,
            at=self.at.astimezone(UTC),
            direction=self.direction,
            caller=self.caller,
            callee=self.callee,
            queue=self.queue,
            agent=normalise_extension(self.extension) if self.extension else None,
            target=normalise_extension(self.target) if self.target else None,
            purpose=self.purpose,
            wait_seconds=self.wait_seconds,
            talk_seconds=self.talk_seconds,
        )
