"""The tables of the call-centre read model: what each row of the reporting database holds (readmodel.py writes
them, exactly once per event)."""

from __future__ import annotations

import sqlalchemy as sa

from shared.erased_memory import erased_table

metadata = sa.MetaData()
Time = sa.DateTime(timezone=True)

processed = sa.Table(
    "processed_events",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(100), nullable=False),
)
call_facts = sa.Table(
    "call_facts",
    metadata,
    sa.Column("call_id", sa.String(36), primary_key=True),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("day", sa.String(10), index=True),
    sa.Column("received_at", Time),
    sa.Column("offered", sa.Boolean, nullable=False, default=False),
    sa.Column("answered", sa.Boolean, nullable=False, default=False),
    sa.Column("unanswered", sa.Boolean, nullable=False, default=False),
    # For the call-centre statistics (services/reporting/stats.py): wait, talk, who answered, when it ended.
    sa.Column("queue", sa.String(100)),
    sa.Column("answered_at", Time),
    sa.Column("expert", sa.String(200), index=True),
    sa.Column("ended_at", Time),
    sa.Column("talk_seconds", sa.Float),
)
unanswered = sa.Table(
    "unanswered_calls",
    metadata,
    sa.Column("call_id", sa.String(36), primary_key=True),
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("expert", sa.String(200), index=True),
    sa.Column("caller", sa.String(40)),
    sa.Column("member_id", sa.String(100)),
    sa.Column("contact_phone", sa.String(40)),
    sa.Column("contact_name", sa.String(200)),
    sa.Column("subject", sa.Text),
    sa.Column("automatic", sa.Boolean),
    sa.Column("received_at", Time),
    sa.Column("registered_at", Time, index=True),
    sa.Column("callback_due", Time, index=True),
    sa.Column("state", sa.String(20), index=True),  # open | following_up | called_back (NULL until registered)
    sa.Column("callback_attempts", sa.Integer),
    sa.Column("called_back_at", Time),
    sa.Column("callback_by", sa.String(200)),
    sa.Column("outcome", sa.String(40)),
    sa.Column("callback_delay_working_seconds", sa.Float),
    sa.Column("breached_at", Time),  # the deadline that was missed
    sa.Column("detected_at", Time),  # when the processor noticed (later, by up to a tick or a catch-up)
)
follow_ups = sa.Table(
    "member_relations_follow_ups",
    metadata,
    sa.Column("call_id", sa.String(36), primary_key=True),
    sa.Column("expert", sa.String(200), index=True),
    sa.Column("opened_at", Time),
    sa.Column("due", Time, index=True),
    sa.Column("state", sa.String(20), index=True),  # open | closed
    sa.Column("outcome", sa.String(40)),
    sa.Column("closed_at", Time),
    sa.Column("breached_at", Time),
    sa.Column("detected_at", Time),
)
end_of_day = sa.Table(
    "end_of_day_lists",
    metadata,
    sa.Column("unit", sa.String(100), primary_key=True),
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("manager", sa.String(200)),
    sa.Column("produced_at", Time, nullable=False),
    sa.Column("items", sa.Text, nullable=False),
    # Whom the list was to be sent to, and when that was asked of the notifier (None: not asked, no manager).
    sa.Column("delivery_requested_to", sa.String(200)),
    sa.Column("delivery_requested_at", Time),
)
escalations = sa.Table(
    "escalations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    # Nullable: the corrective action's event may arrive before the escalation's (another partition).
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("raised_at", Time),
    sa.Column("unanswered_count", sa.Integer),
    sa.Column("window_days", sa.Integer),
    sa.Column("call_ids", sa.Text),
    sa.Column("corrective_action_id", sa.String(36)),
    sa.Column("corrective_action_owner", sa.String(200)),
    sa.Column("corrective_action_status", sa.String(20)),
    # raised | accepted | dismissed | reported | action_requested | action_opened (services/reporting/oversight.py)
    sa.Column("status", sa.String(20)),
)

# The chamber's calendar changes, kept so that every process reading this model (the API replicas) counts working
# time on the calendar the processor applied.
calendar_changes = sa.Table(
    "calendar_changes",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False, autoincrement=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)


# Every event the read model applied, in the order it applied them, with when: `as_of` on a report replays the ones
# applied up to a moment into a fresh model and reads the report from that (ReadModel.as_of).
journal = sa.Table(
    "event_journal",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("applied_at", Time, nullable=False, index=True),
    sa.Column("envelope", sa.Text, nullable=False),
)

# The `as_of` replica's whole database after the journal up to `seq` (services/reporting/snapshots.py).
snapshots = sa.Table(
    "as_of_snapshots",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_by", Time, nullable=False, index=True),
    sa.Column("image", sa.LargeBinary, nullable=False),
)


# Whom the erasure events applied here erased (a member's or caller's key subject, a complaint, a call of theirs): an
# event about them read later (the calls topic lags behind the members topic) is redacted as it is applied.
erased = erased_table(metadata)  # kinds: person, call, complaint
