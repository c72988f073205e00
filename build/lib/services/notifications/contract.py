"""The notifications service's published events: each message's request, attempts and outcome (topic
`crm.notifications.events.v1`). After any change run `make contracts` and commit `contracts/notifications/`."""

from shared.contracts import EventContract

_MESSAGE = "services.notifications.domain:Message"

CONTRACT = EventContract(
    "notifications",
    {
        "crm.notifications.message.requested.v1": f"{_MESSAGE}.Requested",
        "crm.notifications.message.attempt_started.v1": f"{_MESSAGE}.AttemptStarted",
        "crm.notifications.message.attempt_failed.v1": f"{_MESSAGE}.AttemptFailed",
        "crm.notifications.message.delivered.v1": f"{_MESSAGE}.Delivered",
        "crm.notifications.message.failed.v1": f"{_MESSAGE}.Failed",
        "crm.notifications.message.cancelled.v1": f"{_MESSAGE}.Cancelled",
    },
)
