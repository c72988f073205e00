"""Composition root of the surveys service: event store, survey index, the member roster fed by the members topic,
relay to Kafka, HTTP API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import sqlalchemy as sa
from fastapi import FastAPI

from services.surveys import contacts_api, link_events, reports_api
from services.surveys.api import questionnaires, router
from services.surveys.application import SurveyOffice
from services.surveys.attempt_calls import SurveyCalls, http_caller
from services.surveys.calllist import CallList
from services.surveys.complaints import SurveyComplaints, http_opener
from services.surveys.index import SurveyIndex
from services.surveys.links import LinkKeeper, secret_from
from services.surveys.members import MemberRoster
from services.surveys.metrics import SurveyCollector
from services.surveys.page import public
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.metrics import register_collector
from shared.service import event_sourced_service
from shared.settings import Settings
from shared.topic_feed import follow_topics

log = logging.getLogger(__name__)

DESCRIPTION = """Surveys of the chamber's members (form ME-FR-02-01-01). A project survey: a unit requests it, the SG
approves, the unit supplies the member list (numbers or a member-database selection), the member-relations manager
approves the list and reviews the questionnaire (a large edit needs a recorded meeting with the unit's manager).
A periodic round: the president plans it and sets its timing, its questions are set in a recorded meeting of the
president, the SG and the member-relations manager, and it asks every active member. Questionnaires are versioned;
a survey keeps the version it was run with. The experts share a call list (attempts left, the line to use, a
member held by one expert at a time), record attempts and answers by phone with the new services introduced, and
record voiced dissatisfaction, which opens a complaint in the complaints service."""


def build_office(settings: Settings, clock: Clock = system_clock) -> SurveyOffice:
    return SurveyOffice(
        store_env(settings, "surveys"),
        organisation=settings.organisation,
        clock=clock,
        calendar=settings.business_calendar,
        config=settings.surveys,
    )


def build_index(settings: Settings, office: SurveyOffice, engine: sa.Engine | None = None) -> SurveyIndex:
    """The survey index, wired as the office's source of responses; `engine` is shared with the member roster,
    which keeps its tables in the same database."""
    index = SurveyIndex(office, engine or create_engine(settings.local_db_url("surveys_index")))
    office.responses = index.responses_of
    office.complaint_log = index.complaint_log
    office.running = index.running_ids
    return index


def create_app(settings: Settings, *, clock: Clock = system_clock, relay: bool | None = None) -> FastAPI:
    """`relay=False` keeps the service off Kafka (no relay, no member roster feed): for tests of the API alone."""
    office = build_office(settings, clock)
    engine = create_engine(settings.local_db_url("surveys_index"))
    index = build_index(settings, office, engine)
    roster = MemberRoster(engine)
    office.roster = roster
    calls = CallList(engine, clock, settings.surveys.claim_minutes, index.catch_up)
    complaints = SurveyComplaints(
        office, engine, http_opener(settings.complaints_base_url, settings.surveys.service_token), clock
    )

    attempt_calls = SurveyCalls(
        office, engine, http_caller(settings.calls_base_url, settings.surveys.service_token), clock
    )

    async def summarise_weeks(stop: asyncio.Event) -> None:
        """Record each running survey's weekly summary once its working week has ended; idempotent, so several
        replicas may run it."""
        while not stop.is_set():
            with suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=settings.surveys.summary_check_seconds)
            if stop.is_set():
                return
            try:
                await asyncio.to_thread(office.record_weekly_summaries)
            except Exception:  # a locked database or a lost connection: log it and try at the next tick
                log.exception("weekly survey summaries could not be recorded")

    def background(stop: asyncio.Event) -> list:
        group = f"{settings.topic_prefix}-surveys-members"
        return [
            follow_topics(
                roster.apply,
                bootstrap=settings.kafka_bootstrap,
                topics=[settings.topic_of("members")],
                group=group,
                stop=stop,
                partitions=settings.kafka_partitions,
                name="survey roster",
            ),
            complaints.follower.run_until(stop),
            attempt_calls.follower.run_until(stop),
            summarise_weeks(stop),
        ]

    app = event_sourced_service(
        "surveys",
        settings,
        office,
        index.follower,
        title="CRM surveys service",
        description=DESCRIPTION,
        relay=relay,
        background=background,
    )
    app.state.office = office
    app.state.index = index
    app.state.roster = roster
    app.state.links = LinkKeeper(engine, secret_from(settings.surveys.link_secret, settings.data_dir))
    app.state.link_base_url = (settings.surveys.public_url or settings.local_url(settings.surveys_port)).rstrip("/")
    app.state.calls = calls
    app.state.complaints = complaints
    app.state.attempt_calls = attempt_calls
    # The running survey's routes first: a request is matched against the routes in the order they were included,
    # one pattern after another, and an answer by phone (a round asks 30,000 members) is the busiest request. No
    # two routers' paths overlap, so the order changes nothing else.
    app.include_router(contacts_api.router)
    app.include_router(questionnaires)
    app.include_router(router)
    app.include_router(reports_api.router)
    app.include_router(public)
    app.include_router(reports_api.internal)
    app.include_router(link_events.internal)
    register_collector(app, SurveyCollector(office, index, calls))
    return app
