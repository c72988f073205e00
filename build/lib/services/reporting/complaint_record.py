"""What the complaints read model keeps of each complaint, and how one complaint's events fold into it.

Per complaint: the facts the reports count (kind, channel, unit, confidentiality, state, the stage it waits in and
since when, outcome, closings, satisfaction), one row per round of the procedure (a reopening starts a new round:
when it was decided, told, closed, and whether the member was satisfied), the time spent in each stage of each
round in working hours on the chamber's calendar, the corrective actions the committee defined and their status,
and the stage deadlines breached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.reporting.projections import parse_time
from shared.calendar import BusinessCalendar

KINDS = ("complaint", "criticism", "suggestion", "reported_problem")
CHANNELS = ("in_person", "phone", "website", "automatic")
OUTCOMES = ("accepted", "rejected", "settled")
# The stages with a deadline, in procedure order (as the complaints service names them).
STAGES = ("acknowledgement", "review", "assignment", "investigation", "decision", "notification")
# Where an open complaint waits: a stage, or, once the member is told, for its closing.
CLOSING = "closing"
OPEN_STAGES = (*STAGES, CLOSING)
WAITS_ON = {
    "acknowledgement": "member_relations",
    "review": "mr_manager",
    "assignment": "sg",
    "investigation": "handler",
    "decision": "sg",
    "notification": "mr_manager",
    CLOSING: "mr_manager",
}
SUMMARY_CHARS = 200  # of the description: enough for an agenda line, not the whole complaint

metadata = sa.MetaData()
Time = sa.DateTime(timezone=True)

facts = sa.Table(
    "complaint_facts",
    metadata,
    sa.Column("complaint_id", sa.String(36), primary_key=True),
    sa.Column("last_sequence", sa.Integer, nullable=False),
    sa.Column("reference", sa.String(20)),
    sa.Column("kind", sa.String(20), index=True),  # as corrected by the member-relations manager
    sa.Column("kind_received", sa.String(20)),  # as received: the metrics' label, which must never change
    sa.Column("channel", sa.String(20), index=True),
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("service", sa.String(200)),
    sa.Column("source", sa.String(100)),
    sa.Column("member_number", sa.String(60)),
    sa.Column("complainant_name", sa.String(200)),
    sa.Column("summary", sa.Text),
    sa.Column("confidential", sa.Boolean, nullable=False),
    sa.Column("state", sa.String(20), index=True),
    sa.Column("stage", sa.String(20), index=True),  # where it waits now (None when closed)
    sa.Column("stage_since", Time),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("received_at", Time, index=True),
    sa.Column("acknowledged_at", Time),
    sa.Column("handler_kind", sa.String(10)),
    sa.Column("handler", sa.String(200)),
    sa.Column("decision", sa.String(20)),
    sa.Column("outcome", sa.String(20)),
    sa.Column("decided_at", Time),
    sa.Column("notified_at", Time),
    sa.Column("closed_at", Time),
    sa.Column("first_closed_at", Time),
    sa.Column("closings", sa.Integer, nullable=False),
    sa.Column("resolution_working_seconds", sa.Float),  # receipt to the last closing
    sa.Column("satisfaction_score", sa.Integer),
    sa.Column("satisfied", sa.Boolean),
    sa.Column("satisfaction_at", Time),
    sa.Column("reopenings", sa.Integer, nullable=False),
    sa.Column("documents", sa.Integer, nullable=False),
    sa.Column("breaches", sa.Integer, nullable=False),
    sa.Column("updated_at", Time),
)
rounds = sa.Table(
    "complaint_rounds",
    metadata,
    sa.Column("complaint_id", sa.String(36), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True),
    sa.Column("started_at", Time),
    sa.Column("outcome", sa.String(20)),
    sa.Column("decided_at", Time),
    sa.Column("notified_at", Time),
    sa.Column("closed_at", Time),
    sa.Column("satisfaction_score", sa.Integer),
    sa.Column("satisfied", sa.Boolean),
    sa.Column("satisfaction_at", Time),
    sa.Column("reopened_at", Time),
)
stage_times = sa.Table(
    "complaint_stage_times",
    metadata,
    sa.Column("complaint_id", sa.String(36), primary_key=True),
    sa.Column("round", sa.Integer, primary_key=True),
    sa.Column("stage", sa.String(20), primary_key=True),
    sa.Column("started_at", Time, nullable=False),
    sa.Column("done_at", Time),
    sa.Column("working_seconds", sa.Float),  # once done
)
actions = sa.Table(
    "complaint_corrective_actions",
    metadata,
    sa.Column("complaint_id", sa.String(36), primary_key=True),
    sa.Column("action_id", sa.String(20), primary_key=True),
    sa.Column("round", sa.Integer),
    sa.Column("description", sa.Text),
    sa.Column("owner", sa.String(200)),
    sa.Column("due", sa.String(10)),  # a date, YYYY-MM-DD
    sa.Column("status", sa.String(10), nullable=False),  # open | done
    sa.Column("defined_at", Time),
    sa.Column("done_at", Time),
    sa.Column("done_by", sa.String(200)),
)
breaches = sa.Table(
    "complaint_breaches",
    metadata,
    sa.Column("complaint_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(40), primary_key=True),  # round:stage, as the complaints service makes it unique
    sa.Column("stage", sa.String(20), nullable=False),
    sa.Column("round", sa.Integer),
    sa.Column("due_at", Time),
    sa.Column("at", Time),
    sa.Column("waiting_on", sa.String(40)),
)
TABLES = (facts, rounds, stage_times, actions, breaches)


def new_facts(complaint_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {c.name: None for c in facts.c}
    row.update(
        complaint_id=complaint_id,
        last_sequence=0,
        confidential=False,
        round=1,
        closings=0,
        reopenings=0,
        documents=0,
        breaches=0,
    )
    return row


def _excerpt(text: str | None) -> str | None:
    text = " ".join((text or "").split())
    if not text:
        return None
    return text if len(text) <= SUMMARY_CHARS else text[: SUMMARY_CHARS - 1].rstrip() + "…"


@dataclass
class ComplaintRecord:
    """One complaint as the read model holds it: the rows of every table, folded event by event."""

    facts: dict[str, Any]
    rounds: dict[int, dict[str, Any]] = field(default_factory=dict)
    stages: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    actions: dict[str, dict[str, Any]] = field(default_factory=dict)
    breaches: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.facts["complaint_id"]

    def apply(self, name: str, data: dict[str, Any], at: datetime, sequence: int, calendar: BusinessCalendar) -> bool:
        """Fold one event; False when it was applied before (its sequence is not above the last one)."""
        if sequence <= (self.facts["last_sequence"] or 0):
            return False
        handler = getattr(self, f"_on_{name}", None)
        if handler is not None:
            handler(data, at, calendar)
            self._place()
        self.facts["last_sequence"] = sequence
        self.facts["updated_at"] = at
        return True

    # -- helpers ---------------------------------------------------------------------------------------------
    @property
    def _round(self) -> int:
        return self.facts["round"] or 1

    def _round_row(self, number: int | None = None) -> dict[str, Any]:
        number = number or self._round
        return self.rounds.setdefault(
            number,
            {
                "complaint_id": self.id,
                "round": number,
                **{c.name: None for c in rounds.c if c.name not in ("complaint_id", "round")},
            },
        )

    def _start(self, stage: str, at: datetime) -> None:
        # The first start counts: a reassigned handler restarts the deadline, not the time the member waits.
        self.stages.setdefault(
            (self._round, stage),
            {
                "complaint_id": self.id,
                "round": self._round,
                "stage": stage,
                "started_at": at,
                "done_at": None,
                "working_seconds": None,
            },
        )

    def _finish(self, stage: str, at: datetime, calendar: BusinessCalendar) -> None:
        row = self.stages.get((self._round, stage))
        if row is not None and row["done_at"] is None:
            row["done_at"] = at
            row["working_seconds"] = calendar.working_time_between(row["started_at"], at).total_seconds()

    def _place(self) -> None:
        """Where the complaint waits now: the stage of this round started and not done, or its closing."""
        f = self.facts
        if f["state"] == "closed":
            f["stage"], f["stage_since"] = None, None
            return
        if f["state"] == "notified":
            f["stage"], f["stage_since"] = CLOSING, f["notified_at"]
            return
        for stage in reversed(STAGES):
            row = self.stages.get((self._round, stage))
            if row is not None:
                f["stage"], f["stage_since"] = (None, None) if row["done_at"] else (stage, row["started_at"])
                return
        f["stage"], f["stage_since"] = None, None

    def _result(self, outcome: str, at: datetime, calendar: BusinessCalendar) -> None:
        self.facts.update(state="decided", outcome=outcome, decided_at=at)
        self._round_row().update(outcome=outcome, decided_at=at)
        self._finish("decision", at, calendar)
        self._start("notification", at)

    # -- the events (names as in crm.complaints.complaint.<name>.v1) -------------------------------------------
    def _on_received(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts.update(
            reference=data.get("reference"),
            kind=data.get("kind"),
            kind_received=data.get("kind"),
            channel=data.get("channel"),
            unit=data.get("unit"),
            service=data.get("service"),
            source=data.get("source"),
            member_number=data.get("member_number"),
            complainant_name=data.get("complainant_name"),
            summary=_excerpt(data.get("description")),
            confidential=bool(data.get("confidential")),
            state="received",
            round=1,
            received_at=at,
        )
        self._round_row(1)["started_at"] = at
        self._start("acknowledgement", at)

    def _on_acknowledged(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts.update(state="acknowledged", acknowledged_at=at)
        self._finish("acknowledgement", at, calendar)
        self._start("review", at)

    def _on_information_added(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        changes = data.get("changes") or {}
        for name in ("kind", "unit", "service", "member_number", "complainant_name"):
            if name in changes:
                self.facts[name] = changes[name]
        if "description" in changes:
            self.facts["summary"] = _excerpt(changes["description"])

    def _on_review_completed(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts["state"] = "reviewed"

    def _on_referred(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts["state"] = "referred"
        self._finish("review", at, calendar)
        self._start("assignment", at)

    def _on_handler_assigned(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts.update(state="assigned", handler_kind=data.get("handler_kind"), handler=data.get("handler"))
        self._finish("assignment", at, calendar)
        self._start("investigation", at)

    def _on_investigation_reported(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts["state"] = "investigated"
        self._finish("investigation", at, calendar)
        self._start("decision", at)

    def _on_decided(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts["decision"] = data.get("decision")
        if data.get("decision") == "rejected":
            self._result("rejected", at, calendar)
        else:
            self.facts["state"] = "accepted"

    def _on_committee_convened(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts["state"] = "committee"

    def _on_committee_not_convened(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self._result("accepted", at, calendar)

    def _on_committee_decided(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        for action in data.get("corrective_actions") or []:
            self.actions[action["id"]] = {
                "complaint_id": self.id,
                "action_id": action["id"],
                "round": self._round,
                "description": action.get("description"),
                "owner": action.get("owner"),
                "due": action.get("due"),
                "status": "open",
                "defined_at": at,
                "done_at": None,
                "done_by": None,
            }
        self._result(data.get("decision") or "accepted", at, calendar)

    def _on_corrective_action_completed(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        action = self.actions.get(data.get("action_id") or "")
        if action is not None:
            action.update(status="done", done_at=at, done_by=data.get("by"))

    def _on_member_notified(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts.update(state="notified", notified_at=at)
        self._round_row()["notified_at"] = at
        self._finish("notification", at, calendar)

    def _on_closed(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        f = self.facts
        f.update(state="closed", closed_at=at, closings=(f["closings"] or 0) + 1)
        if f["first_closed_at"] is None:
            f["first_closed_at"] = at
        if f["received_at"] is not None:
            f["resolution_working_seconds"] = calendar.working_time_between(f["received_at"], at).total_seconds()
        self._round_row()["closed_at"] = at

    def _on_satisfaction_recorded(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        values = {"satisfaction_score": data.get("score"), "satisfied": data.get("satisfied"), "satisfaction_at": at}
        self.facts.update(values)
        self._round_row(data.get("round")).update(values)

    def _on_reopened(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self._round_row()["reopened_at"] = at
        f = self.facts
        f.update(
            round=data.get("round") or self._round + 1,
            state="acknowledged",
            decision=None,
            outcome=None,
            decided_at=None,
            notified_at=None,
            closed_at=None,
            reopenings=(f["reopenings"] or 0) + 1,
        )
        self._round_row()["started_at"] = at
        self._start("review", at)

    def _on_confidentiality_changed(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts["confidential"] = bool(data.get("confidential"))

    def _on_document_attached(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        self.facts["documents"] = (self.facts["documents"] or 0) + 1

    def _on_deadline_breached(self, data: dict[str, Any], at: datetime, calendar: BusinessCalendar) -> None:
        key = data.get("key") or f"{data.get('round')}:{data.get('stage')}"
        self.breaches[key] = {
            "complaint_id": self.id,
            "key": key,
            "stage": data.get("stage"),
            "round": data.get("round"),
            "due_at": parse_time(data.get("due_at")),
            "at": at,
            "waiting_on": data.get("waiting_on"),
        }
        self.facts["breaches"] = len(self.breaches)
