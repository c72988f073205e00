"""The dispatcher's Prometheus counters (crm_notifications_sent_total, _failed_total, _skipped_total,
_claims_lost_total, _retried_total); the messages by state are counted at scrape time in metrics.py."""

from __future__ import annotations

from prometheus_client import Counter

SENT = Counter("crm_notifications_sent", "Messages handed over to their channel", ["channel", "kind"])
FAILED = Counter("crm_notifications_failed", "Messages given up after their last attempt", ["channel", "kind"])
SKIPPED = Counter("crm_notifications_skipped", "Events whose rule could not read them (logged)", ["type"])
CLAIM_LOST = Counter("crm_notifications_claims_lost", "Attempts another replica had claimed first")
RETRIED = Counter("crm_notifications_retried", "Failed attempts that will be tried again", ["channel", "kind"])
