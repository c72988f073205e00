"""Prometheus figures of the notifications: messages by state, counted from the index at scrape time (so every
replica agrees), beside the counters of sent, retried and failed attempts the dispatcher keeps
(crm_notifications_sent_total, _retried_total, _failed_total)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from services.notifications.application import Notifier

STATES = ("queued", "retrying", "sending", "delivered", "failed", "cancelled")


class NotificationCollector:
    def __init__(self, notifier: Notifier):
        self.notifier = notifier

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.notifier.counts()
        family = GaugeMetricFamily(
            "crm_notifications_messages",
            "Messages by state: queued and retrying ones wait to be sent",
            labels=["state"],
        )
        for state in STATES:
            family.add_metric([state], counts.get(state, 0))
        yield family
        yield GaugeMetricFamily(
            "crm_notifications_queued",
            "Messages waiting to be sent (queued, retrying or being sent)",
            value=counts.get("queued", 0) + counts.get("retrying", 0) + counts.get("sending", 0),
        )
