"""The optional messages a member of staff chooses in the console, and the channels they may come by. The console
records the choice as an event of the user's account (crm.console.user.notifications_chosen.v1); the notifications
service reads it from the console's topic. A message nobody chose keeps the organisation file's default."""

from __future__ import annotations

# kind of optional message -> the notification kinds it covers
OPTIONAL = {
    "queue_item": ("queue_item",),  # a new call back in my queue
    "complaint_step": ("complaint_step",),  # a complaint handed to me: its next step waits on me
    "weekly_reports": ("survey_weekly_summary", "desk_ratio_report"),  # the weekly and monthly reports
}
CHANNELS = ("email", "sms", "none")


def choice_of(kind: str) -> str | None:
    """The optional message (a key of OPTIONAL) that covers a notification kind; None for a message always sent."""
    return next((choice for choice, kinds in OPTIONAL.items() if kind in kinds), None)
