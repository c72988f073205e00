"""Which event asks for which message, to whom: pure functions over an event and the contacts known so far.

Wired: the end-of-day list to the unit's manager (reporting's end_of_day_list.produced, which carries the list),
the acknowledgement and the result to the complainant (complaints' acknowledged and closed, when the received event
gave an address or the member is known), the desk registration's confirmation to the member (desks' registered:
its phone, or the member's address), the desk's announcement by SMS to each member of a selection (desks'
member_announcement_requested), the reminder of a member's slot (desks' slot_reminders_due, which the desks service
emits on the reminder day: the notifier keeps no reminder schedule of its own; a reminder still unsent when its
registration is cancelled is withdrawn, and one asked for after the cancellation is not sent), the specialised
session's invitation to each member invited (sessions' invitations_requested, which names them), a new
call-back in an expert's queue to the expert who asked for it (calls' unanswered_registered naming the expert:
the expert's own choice in the console, else `queue_mail = true` in the organisation file), a complaint handed to
a person (complaints' handler_assigned) to that person if he or she chose it in the console, and the weekly and
monthly reports to the SG and the president (unless turned off in the console): a survey's weekly summary (surveys'
weekly_summary_recorded), the desks' ratio of solved to raised problems (desks' ratio_report issued and reissued,
weekly or monthly) and the call centre's weekly and monthly report (reporting's call_centre_report.produced); and
each member's one-time survey link (surveys' link_issued; the URL is asked of the surveys service at sending).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from services.notifications.contacts import Contact, Contacts, EventContacts
from services.notifications.domain import message_person
from shared.envelope import CloudEvent
from shared.locales import load_words
from shared.organisation import Organisation
from shared.privacy_subjects import form_person

EOD_PRODUCED = "crm.reporting.end_of_day_list.produced.v1"
COMPLAINT_ACKNOWLEDGED = "crm.complaints.complaint.acknowledged.v1"
COMPLAINT_CLOSED = "crm.complaints.complaint.closed.v1"
DESK_REGISTERED = "crm.desks.desk.registered.v1"
DESK_REGISTERED_V2 = "crm.desks.desk.registered.v2"  # v1 and the registrant's language
CALL_UNANSWERED = "crm.calls.call.unanswered_registered.v1"
SURVEY_WEEKLY = "crm.surveys.survey.weekly_summary_recorded.v1"
RATIO_ISSUED = "crm.desks.ratio_report.issued.v1"
RATIO_REISSUED = "crm.desks.ratio_report.reissued.v1"
REGISTRATION_CANCELLED = "crm.desks.desk.registration_cancelled.v1"
SESSION_INVITATIONS = "crm.desks.session.invitations_requested.v1"
DESK_ANNOUNCEMENT = "crm.desks.desk.member_announcement_requested.v1"
# A desk's registrant erased: the messages to their form not yet sent are cancelled (Notifier.forget_registrants).
REGISTRANT_ERASED = "crm.desks.registrant.erased.v1"
SLOT_REMINDERS = "crm.desks.desk.slot_reminders_due.v1"
SURVEY_LINK = "crm.surveys.survey.link_issued.v1"
CALL_CENTRE_REPORT = "crm.reporting.call_centre_report.produced.v1"

# Where a survey link's URL goes in the message as requested: the URL itself (its secret) is asked of the surveys
# service when the message is sent, so it is in no event of the notifications store either.
LINK_SLOT = "[[survey-link]]"
HANDLER_ASSIGNED = "crm.complaints.complaint.handler_assigned.v1"

# The wire types the rules read (besides the contacts' own): the consumer skips everything else cheaply.
WIRED = frozenset(
    {
        EOD_PRODUCED,
        COMPLAINT_ACKNOWLEDGED,
        COMPLAINT_CLOSED,
        DESK_REGISTERED,
        DESK_REGISTERED_V2,
        CALL_UNANSWERED,
        SURVEY_WEEKLY,
        RATIO_ISSUED,
        RATIO_REISSUED,
        REGISTRATION_CANCELLED,
        SESSION_INVITATIONS,
        DESK_ANNOUNCEMENT,
        SLOT_REMINDERS,
        SURVEY_LINK,
        CALL_CENTRE_REPORT,
        HANDLER_ASSIGNED,
        REGISTRANT_ERASED,
    }
)

# The complaint's outcome as the complainant reads it, per language (the template receives the words, not the code).
OUTCOMES = load_words(__file__, "outcomes")  # locales/outcomes.<language>.json


@dataclass(frozen=True)
class Wanted:
    """A message an event asks for: `key` is unique per event, kind and recipient (replays make the same key)."""

    key: str
    kind: str
    recipient: str  # who, for people: a user name, a member id, a complaint's reference
    contact: Contact | None  # None: nobody knows where to reach the recipient (recorded as failed)
    context: dict[str, Any] = field(default_factory=dict)
    channel: str | None = None  # forced channel (sms for a phone-only registration); None: e-mail when known
    send_at: datetime | None = None  # not before (a reminder); None: at once
    # Whose key seals the stored message (a complainant's: the complaint; a desk's registrant's), when the recipient
    # is not a known member by id or number (services/notifications/privacy.py); None: found from the recipient.
    person: str | None = None


@dataclass
class Facts:
    organisation: Organisation
    staff: Contacts
    known: EventContacts
    format_time: Callable[[datetime], str]
    report_recipients: tuple[str, ...] = ()
    # When a reminder for a day is sent: the start of that day's working time
    reminder_time: Callable[[date], datetime] = lambda d: datetime.combine(d, time(6, 0), UTC)
    # A day as the chamber writes it (Solar Hijri in Iran)
    format_day: Callable[[date], str] = date.isoformat
    # Where the staff read the reporting service's reports (the call-centre report's link); "" leaves the path
    reports_base_url: str = ""
    # Where the public pages are (a desk's registration page in its announcement); "" leaves the path as it is
    public_base_url: str = ""
    # The channel a member of staff chose in the console for an optional message (email, sms or none); None: the
    # person never chose, and the organisation file decides
    choice: Callable[[str, str], str | None] = lambda name, kind: None


def _key(event: CloudEvent, kind: str, recipient: str) -> str:
    return f"{event.id}:{kind}:{recipient}"


def wanted(event: CloudEvent, facts: Facts) -> list[Wanted]:
    rule = RULES.get(event.type)
    return rule(event, facts) if rule else []


def end_of_day_list(event: CloudEvent, facts: Facts) -> list[Wanted]:
    d = event.data
    manager = d.get("manager")
    if not manager:
        return []  # no manager in the organisation file: the report shows the list as not sent
    unit = next((u for u in facts.organisation.units if u.id == d["unit"]), None)
    context = {
        "unit": d["unit"],
        "unit_name": unit.name if unit else d["unit"],
        "unit_name_local": (unit.name_local or unit.name) if unit else d["unit"],
        "day": d["day"],
        "day_local": facts.format_day(date.fromisoformat(d["day"])),
        "items": d.get("items") or [],
        "count": len(d.get("items") or []),
    }
    key = _key(event, "end_of_day_list", manager)
    # The list names callers: sealed under a key of its own, deleted when any of them is erased (listed.py)
    return [
        Wanted(key, "end_of_day_list", manager, facts.staff.contact_of(manager), context, person=message_person(key))
    ]


def complaint(kind: str) -> Callable[[CloudEvent, Facts], list[Wanted]]:
    def rule(event: CloudEvent, facts: Facts) -> list[Wanted]:
        found = facts.known.complainant(event.subject)
        if found is None:
            return []  # the received event has not come (or the complaint is not from this chamber's topic)
        reference, contact = found
        if not (contact.email or contact.phone):
            return []  # an anonymous complaint or one without an address: nobody to tell
        context = {"reference": reference, "outcome": event.data.get("outcome"), "note": event.data.get("note")}
        return [Wanted(_key(event, kind, reference), kind, reference, contact, context, person=event.subject)]

    return rule


def reminder_key(desk_id: str, number: str) -> str:
    """The reminder of one registration, keyed by the registration itself: its cancellation finds it."""
    return f"desk_reminder:{desk_id}:{number}"


def registrants_erased(events: Sequence[CloudEvent]) -> list[tuple[str, str]]:
    """The desks' forms (desk id, number) whose registrants the erasures among `events` erase."""
    return [(str(e.data["desk_id"]), str(e.data["number"])) for e in events if e.type == REGISTRANT_ERASED]


def desk_registration(event: CloudEvent, facts: Facts) -> list[Wanted]:
    """The confirmation at once; the reminder comes later, when desks' slot_reminders_due asks for it."""
    d = event.data
    member = facts.known.member(member_id=d["member_id"]) if d.get("member_id") else None
    slot = datetime.fromisoformat(d["slot_start"]) if d.get("slot_start") else None
    desk = facts.known.label(event.subject)
    context = {
        "number": d["number"],
        "problem": d.get("problem"),
        "slot_start_local": facts.format_time(slot) if slot else None,
        "place": desk.get("place") or "",
    }
    if d.get("phone"):  # the number the member gave on the form: an SMS reaches him or her at the desk's day
        language = d.get("language") or (member.language if member else None)  # v2 carries the registrant's
        contact: Contact = Contact(d.get("member_name") or "", None, d["phone"], language)
        channel: str | None = "sms"
    elif member and member.email:
        contact, channel = member, None
    else:
        return []
    number = d["number"]
    person = form_person(event.subject, d.get("member_id"), number)
    key = _key(event, "desk_registration", number)
    return [Wanted(key, "desk_registration", number, contact, context, channel, person=person)]


def slot_reminders(event: CloudEvent, facts: Facts) -> list[Wanted]:
    """The reminder of each slot the desks service names, by SMS in the registrant's language. Keyed by the
    registration, not the event: a second request for the same registration (the event replayed, or emitted again)
    is the same message, so nobody is reminded twice; a registration already cancelled is not reminded."""
    d = event.data
    cancelled = set(facts.known.label(event.subject).get("cancelled") or [])
    wanted = []
    for r in d.get("reminders") or []:
        number = r["number"]
        if number in cancelled:
            continue
        slot = datetime.fromisoformat(r["slot_start"])
        context = {"number": number, "problem": None, "slot_start_local": facts.format_time(slot), "place": d["place"]}
        member = facts.known.member(member_id=r["member_id"]) if r.get("member_id") else None
        if r.get("phone"):
            contact: Contact | None = Contact(r.get("member_name") or "", None, r["phone"], r.get("language"))
            channel: str | None = "sms"
        elif member and member.email:
            contact, channel = member, None
        else:  # nowhere to send it: recorded as failed so the expert's reminder call knows
            contact, channel = Contact(r.get("member_name") or number, None, None, r.get("language")), "sms"
        person = form_person(event.subject, r.get("member_id"), number)
        key = reminder_key(event.subject, number)
        wanted.append(Wanted(key, "desk_reminder", number, contact, context, channel, person=person))
    return wanted


def desk_announcement(event: CloudEvent, facts: Facts) -> list[Wanted]:
    """The desk's announcement by SMS to each member of the selection that has a mobile number (a member without
    one is reached through the social networks, which the desks service records itself)."""
    d = event.data
    starts = datetime.fromisoformat(d["starts_at"])
    path = d.get("registration_path") or ""
    link = f"{facts.public_base_url.rstrip('/')}{path}" if path and facts.public_base_url else path
    context = {
        "agency": d["agency"],
        "starts_at_local": facts.format_time(starts),
        "place": d["place"],
        "format": d.get("format") or "",
        "note": d.get("message") or "",
        "link": link,
    }
    kind = "desk_announcement"
    return [
        Wanted(
            _key(event, kind, r["member_id"]),
            kind,
            r["member_id"],
            Contact(r.get("name") or r["member_id"], None, r["phone"], r.get("language")),
            context,
            "sms",
        )
        for r in d.get("recipients") or []
        if r.get("phone")
    ]


def cancelled_reminders(event: CloudEvent) -> list[str]:
    """The keys of the messages an event withdraws: a cancelled registration's reminder."""
    if event.type == REGISTRATION_CANCELLED:
        return [reminder_key(event.subject, event.data["number"])]
    return []


def session_invitations(event: CloudEvent, facts: Facts) -> list[Wanted]:
    """An invitation to each member the session invites, in the language the request names: by e-mail when the
    member's address is known, else by SMS to the phone the selection gave; a member reachable neither way is
    recorded as failed with that reason, so the staff know whom to call."""
    d = event.data
    starts = datetime.fromisoformat(d["starts_at"])
    context = {
        "trade_group": d.get("trade_group") or "",
        "starts_at_local": facts.format_time(starts),
        "place": d.get("place") or "",
        "topics": d.get("topics") or [],
    }
    wanted = []
    for invitee in d.get("invitees") or []:
        member_id = invitee["member_id"]
        known = facts.known.member(member_id=member_id)
        email = known.email if known else None
        contact = Contact(invitee.get("name") or member_id, email, invitee.get("phone"), invitee.get("language"))
        wanted.append(
            Wanted(_key(event, "session_invitation", member_id), "session_invitation", member_id, contact, context)
        )
    return wanted


def _chosen(facts: Facts, who: str, kind: str, default: bool) -> tuple[bool, str | None]:
    """Whether `who` gets the optional message `kind`, and by which channel (None: the usual one)."""
    chosen = facts.choice(who, kind)
    if chosen is None:
        return default, None
    return chosen != "none", chosen if chosen in ("email", "sms") else None


def queue_item(event: CloudEvent, facts: Facts) -> list[Wanted]:
    d = event.data
    expert = d.get("expert")
    if not expert:
        return []
    person = next((p for p in facts.organisation.people if p.name == expert), None)
    send, channel = _chosen(facts, expert, "queue_item", person is not None and person.queue_mail)
    if not send:
        return []
    due = datetime.fromisoformat(d["callback_due"]) if d.get("callback_due") else None
    context = {
        "unit": d.get("unit"),
        "contact_phone": d.get("contact_phone"),
        "contact_name": d.get("contact_name"),
        "subject": d.get("subject"),
        "callback_due_local": facts.format_time(due) if due else "",
    }
    contact = facts.staff.contact_of(expert)
    return [Wanted(_key(event, "queue_item", expert), "queue_item", expert, contact, context, channel)]


def complaint_step(event: CloudEvent, facts: Facts) -> list[Wanted]:
    """A complaint handed to a person: the handler is told, if he or she asked for it in the console."""
    d = event.data
    handler = d.get("handler")
    if d.get("handler_kind") != "person" or not handler:
        return []
    send, channel = _chosen(facts, handler, "complaint_step", False)
    if not send:
        return []
    found = facts.known.complainant(event.subject)
    context = {"reference": found[0] if found else "", "round": d.get("round") or 1}
    kind = "complaint_step"
    return [Wanted(_key(event, kind, handler), kind, handler, facts.staff.contact_of(handler), context, channel)]


def _report(
    event: CloudEvent, facts: Facts, kind: str, context: dict[str, Any], recipients: Sequence[str] | None = None
) -> list[Wanted]:
    """A weekly or monthly report to each recipient (the settings' report recipients unless named) who has not
    turned the reports off in the console."""
    out = []
    for who in facts.report_recipients if recipients is None else recipients:
        send, channel = _chosen(facts, who, "weekly_reports", True)
        if send:
            out.append(Wanted(_key(event, kind, who), kind, who, facts.staff.contact_of(who), context, channel))
    return out


def survey_weekly_summary(event: CloudEvent, facts: Facts) -> list[Wanted]:
    figures = event.data.get("figures") or {}
    context = {
        "title": facts.known.label(event.subject).get("title") or event.subject,
        "week_ending": event.data["week_ending"],
        "responses": figures.get("responses", 0),
        "asked": figures.get("asked", 0),
        "response_rate": figures.get("response_rate"),
        "overall": figures.get("overall"),
        "new_complaints": figures.get("new_complaints", 0),
    }
    return _report(event, facts, "survey_weekly_summary", context)


def desk_ratio_report(event: CloudEvent, facts: Facts) -> list[Wanted]:
    d = {**facts.known.label(event.subject), **event.data}  # a reissue names no period: the issue kept it
    total = (d.get("figures") or {}).get("total") or {}
    context = {
        "period": d.get("period") or "",
        "start": d.get("start") or "",
        "end": d.get("end") or "",
        "registrations": total.get("registrations", 0),
        "raised": total.get("raised", 0),
        "solved": total.get("solved", 0),
        "ratio": total.get("ratio"),
        "reissued": event.type == RATIO_REISSUED,
    }
    return _report(event, facts, "desk_ratio_report", context)


def survey_link_key(link_id: str) -> str:
    """A member's link is one message however often the links are issued: the key names the link."""
    return f"survey_link:{link_id}"


def link_id_of(key: str) -> str | None:
    return key.removeprefix("survey_link:") if key.startswith("survey_link:") else None


def survey_link(event: CloudEvent, facts: Facts) -> list[Wanted]:
    """The member's one-time survey link, by e-mail when the member's address is known, else by SMS, in the member's
    language; the URL is filled in when the message is sent (LINK_SLOT)."""
    d = event.data
    member = facts.known.member(member_id=d.get("member_id")) if d.get("member_id") else None
    member = member or facts.known.member(membership_number=d["membership_number"])
    number = d["membership_number"]
    contact = Contact(
        member.name if member else number,
        member.email if member else None,
        member.phone if member else None,
        (member.language if member else None) or d.get("language"),
    )
    expires = date.fromisoformat(d["expires_on"]) if d.get("expires_on") else None
    context = {
        "title": facts.known.label(d["survey_id"]).get("title") or "",
        "period": d.get("period") or "",
        "expires_local": facts.format_day(expires) if expires else "",
        "link": LINK_SLOT,
    }
    return [Wanted(survey_link_key(d["link_id"]), "survey_link", number, contact, context)]


def _percent(share: Any) -> str | None:
    return None if share is None else f"{float(share) * 100:.1f}"


def _report_figures(f: dict[str, Any]) -> dict[str, Any]:
    """The figures as the message reads them: counts, shares as percentages (None when nothing to share)."""
    return {
        "offered": f.get("offered", 0),
        "answered": f.get("answered", 0),
        "abandoned": f.get("abandoned", 0),
        "service_level": _percent(f.get("service_level")),
        "wait_avg_seconds": f.get("wait_avg_seconds"),
        "callbacks_due": f.get("callbacks_due", 0),
        "callbacks_in_time": f.get("callbacks_in_time", 0),
        "compliance": _percent(f.get("callback_compliance")),
    }


def call_centre_report(event: CloudEvent, facts: Facts) -> list[Wanted]:
    """A closed week's or month's call-centre figures to the SG and the president: the people of the organisation
    file with those roles, else the report recipients named in the settings."""
    d = event.data
    holders = [p.name for p in facts.organisation.people if p.role in ("sg", "president")]
    link = d.get("link") or ""
    context = {
        "period": d["period"],
        "first_day_local": d.get("first_day_local") or d["first_day"],
        "last_day_local": d.get("last_day_local") or d["last_day"],
        "f": _report_figures(d.get("figures") or {}),
        "units": [{**_report_figures(u), "unit": u.get("unit")} for u in d.get("units") or []],
        "link": f"{facts.reports_base_url.rstrip('/')}{link}" if facts.reports_base_url else link,
    }
    return _report(event, facts, "call_centre_report", context, holders or None)


RULES: dict[str, Callable[[CloudEvent, Facts], list[Wanted]]] = {
    EOD_PRODUCED: end_of_day_list,
    COMPLAINT_ACKNOWLEDGED: complaint("complaint_acknowledged"),
    COMPLAINT_CLOSED: complaint("complaint_closed"),
    DESK_REGISTERED: desk_registration,
    DESK_REGISTERED_V2: desk_registration,
    CALL_UNANSWERED: queue_item,
    SURVEY_WEEKLY: survey_weekly_summary,
    RATIO_ISSUED: desk_ratio_report,
    RATIO_REISSUED: desk_ratio_report,
    SESSION_INVITATIONS: session_invitations,
    DESK_ANNOUNCEMENT: desk_announcement,
    SLOT_REMINDERS: slot_reminders,
    SURVEY_LINK: survey_link,
    CALL_CENTRE_REPORT: call_centre_report,
    HANDLER_ASSIGNED: complaint_step,
}
