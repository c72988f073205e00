"""Composition root of the notifications service: its event store of messages, the consumer of the other
services' topics, the dispatcher that sends what is due, the relay to Kafka, metrics and the HTTP API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import httpx
from fastapi import FastAPI

from services.notifications.api import router
from services.notifications.application import Notifier
from services.notifications.channels import Channel, SmsGateway, SmsOutbox, SmtpChannel
from services.notifications.consumer import SOURCES, follow_topics
from services.notifications.mailbox import sms_folder
from services.notifications.metrics import NotificationCollector
from services.notifications.survey_links import SurveyLinks
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.metrics import register_collector
from shared.service import event_sourced_service
from shared.settings import Settings

log = logging.getLogger(__name__)

DESCRIPTION = """Notifications by e-mail and SMS, fed by the chamber's events (no service calls it): the end-of-day
list to each unit's manager when the working day ends, the acknowledgement and the result to a complainant who gave
an address, the confirmation of a desk registration, a new call-back in the queue of an expert who asked for it.
Each message is written in the recipient's language (Persian, Turkish or English), sent once per source event,
retried with exponential backoff and recorded as delivered or failed in the audit trail. On the embedded default
the mail lands in a local mailbox and the SMS in a local outbox, both readable here."""


def default_channels(settings: Settings) -> dict[str, Channel]:
    config = settings.notifications
    sms: Channel = SmsGateway(config) if config.sms_gateway_url else SmsOutbox(sms_folder(settings.data_dir))
    return {"email": SmtpChannel(config), "sms": sms}


def build_notifier(
    settings: Settings,
    clock: Clock = system_clock,
    channels: dict[str, Channel] | None = None,
    replica: str | None = None,
    survey_links: SurveyLinks | None = None,
) -> Notifier:
    return Notifier(
        store_env(settings, "notifications"),
        engine=create_engine(settings.local_db_url("notifications_index")),
        config=settings.notifications,
        organisation=settings.organisation,
        calendar=settings.business_calendar,
        clock=clock,
        channels=channels if channels is not None else default_channels(settings),
        chamber_language="fa" if settings.chamber == "IR" else "tr",
        replica=replica,
        survey_links=survey_links
        if survey_links is not None
        else SurveyLinks(
            httpx.Client(base_url=settings.notifications.surveys_url or settings.local_url(settings.surveys_port)),
            settings.notifications.service_token,
        ),
    )


def build_index(settings: Settings, notifier: Notifier) -> Notifier:
    """The notifier keeps its own index of messages (`crm rebuild` rebuilds it from the store)."""
    return notifier


async def dispatch_loop(notifier: Notifier, every: float, stop: asyncio.Event) -> None:
    """Send what is due now and then; an attempt already recorded by another replica is not repeated."""
    while not stop.is_set():
        try:
            await asyncio.to_thread(notifier.dispatch)
        except Exception:  # a locked database or a lost connection: log it and try at the next tick
            log.exception("notifications could not be dispatched")
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    relay: bool | None = None,
    channels: dict[str, Channel] | None = None,
    survey_links: SurveyLinks | None = None,
) -> FastAPI:
    """`relay=False` keeps the service off Kafka (no consumer, no relay) and its dispatcher off: for tests of the
    API alone. `channels` replaces the SMTP and SMS channels."""
    notifier = build_notifier(settings, clock, channels, survey_links=survey_links)
    topics = [settings.topic_of(source) for source in SOURCES]

    def background(stop: asyncio.Event) -> list:
        return [
            follow_topics(
                notifier.take,
                settings.kafka_bootstrap,
                topics,
                f"{settings.topic_prefix}-notifications",
                stop,
                settings.kafka_partitions,
            ),
            dispatch_loop(notifier, settings.notifications.dispatch_seconds, stop),
        ]

    app = event_sourced_service(
        "notifications",
        settings,
        notifier,
        notifier.follower,
        title="CRM notifications",
        description=DESCRIPTION,
        relay=relay,
        background=background,
    )
    app.state.notifier = notifier
    app.state.organisation = settings.organisation
    register_collector(app, NotificationCollector(notifier))
    app.include_router(router)
    return app
