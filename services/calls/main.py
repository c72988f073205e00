"""Composition root of the calls service: event store, search index, relay to Kafka, HTTP API."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from fastapi import FastAPI

from services.calls import outgoing
from services.calls.api import router, telephony
from services.calls.application import CallCentre
from services.calls.calendar import DeadlineMover
from services.calls.calendar_api import router as calendar_router
from services.calls.erasure_api import router as erasure_router
from services.calls.index import CallIndex
from services.calls.members import MemberLookup
from services.calls.queue_api import queues
from services.calls.queue_json import RenderedCalls
from services.calls.referrals import ComplaintReferrals, http_opener
from services.calls.replica import ReplicaWatch
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.service import event_sourced_service
from shared.settings import Settings
from shared.topic_feed import follow_topics

DESCRIPTION = """Every member's call tracked from the first ring to the callback (procedure of the Member
Communication Center): telephony ingestion, the member-relations experts' work on calls, unanswered-call records
and the personal and unit queues."""


def build_centre(settings: Settings, clock: Clock = system_clock) -> CallCentre:
    return CallCentre(
        store_env(settings, "calls"),
        organisation=settings.organisation,
        calendar=settings.business_calendar,
        clock=clock,
        region=settings.chamber,
        callback_deadline=timedelta(hours=settings.callback_deadline_working_hours),
        mr_followup_deadline=timedelta(hours=settings.mr_followup_deadline_working_hours),
    )


def build_index(settings: Settings, centre: CallCentre, engine: sa.Engine | None = None) -> CallIndex:
    """The search index; `engine` is shared with the member lookup, which keeps its table in the same database."""
    engine = engine or create_engine(settings.local_db_url("calls_index"))
    return CallIndex(centre, engine, settings.business_calendar)


def create_replica_app(settings: Settings, *, clock: Clock = system_clock) -> FastAPI:
    """A further process of the calls API (CRM_CALLS_API_PROCESSES, shared/processes.py): the same API over the same
    stores, index and member lookup; the primary process indexes, relays and follows for it."""
    return create_app(settings, clock=clock, replica=True)


def create_app(
    settings: Settings, *, clock: Clock = system_clock, relay: bool | None = None, replica: bool = False
) -> FastAPI:
    """`relay=False` keeps the service off Kafka (no relay, no member feed): for tests of the API alone."""
    centre = build_centre(settings, clock)
    engine = create_engine(settings.local_db_url("calls_index"))
    index = build_index(settings, centre, engine)
    lookup = MemberLookup(engine, on_erased=index.forget_members)
    centre.member_lookup = lookup.member_of
    centre.member_lookup_many = lookup.members_of
    referrals = ComplaintReferrals(
        centre, engine, http_opener(settings.complaints_base_url, settings.calls_service_token), clock
    )

    def open_calls() -> list:
        index.follower.catch_up()  # a call registered a moment ago has its deadline moved too
        return index.open_call_ids()

    mover = DeadlineMover(centre, engine, open_calls)
    watch = ReplicaWatch(centre) if replica else None

    def background(stop: asyncio.Event) -> list:
        if watch is not None:
            return [watch.run_until(stop)]
        group = f"{settings.topic_prefix}-calls-members"
        return [
            follow_topics(
                lookup.apply,
                bootstrap=settings.kafka_bootstrap,
                topics=[settings.topic_of("members")],
                group=group,
                stop=stop,
                partitions=settings.kafka_partitions,
                name="calls member lookup",
            ),
            referrals.follower.run_until(stop),
            mover.follower.run_until(stop),
        ]

    app = event_sourced_service(
        "calls",
        settings,
        centre,
        index.follower,
        title="CRM calls service",
        description=DESCRIPTION,
        relay=relay,
        background=background,
        replica=replica,
    )
    app.state.centre = centre
    app.state.index = index
    # The queue pages' calls, rendered once; dropped at an erasure indexed here or, in a replica, noticed here.
    app.state.rendered_calls = RenderedCalls(lambda: index.erasures + (watch.erasures if watch is not None else 0))
    app.state.referrals = referrals
    app.state.deadline_mover = mover
    app.state.members = lookup
    app.include_router(telephony)
    app.include_router(router)
    app.include_router(queues)
    app.include_router(calendar_router)
    app.include_router(outgoing.internal)
    app.include_router(erasure_router)
    return app
