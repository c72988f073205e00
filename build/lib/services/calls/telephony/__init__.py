"""What the chamber's telephone system says about calls, parsed and normalised into one shape.

Three ways in, one way out (`TelephonyEvent`):

* the canonical JSON webhook (`CallEventIn`), for any PBX or middleware that can post JSON;
* Asterisk / Issabel / FreePBX Manager Interface events, as JSON objects (`parse_ami_event`);
* the Asterisk ``queue_log`` file, ``time|callid|queue|agent|event|data1|data2|...`` (`parse_queue_log`).

Every event carries ``event_id``, a key derived only from what the PBX said (never from when or how often we
received it), so that replaying a log after an outage, or a webhook retried by the PBX, is recognised and
changes nothing. This package is pure: no clock, no I/O, no configuration. Mapping queues to units,
extensions to experts and raw numbers to E.164 is the application's job.

What the kinds mean, whatever the source:

* ``ringing``       the call reached the chamber (first sight, before any queue);
* ``queued``        the caller entered a PBX queue (a unit's, or member relations');
* ``agent_missed``  one queue member's phone rang and was not answered; the caller is still waiting;
* ``answered``      a queue member (``agent``) took the call; ``wait_seconds`` is the time in the queue;
* ``queue_timeout`` the caller left the queue unanswered without hanging up (timeout, queue empty, a key
                    pressed, or the queue could not be joined): the unit did not answer, the PBX routes on;
* ``abandoned``     the caller hung up while waiting;
* ``transferred``   the answering member passed the call on (``target``: extension or queue, when known);
* ``completed``     the PBX reports the call (or its queue session) over. It does not by itself mean the call
                    was answered: that is known from an ``answered`` before it. A call can be reported
                    completed more than once (AMI sends AgentComplete and then the caller's Hangup); the
                    application treats the second report as no news.
"""

from __future__ import annotations

from services.calls.telephony.ami import DEFAULT_INBOUND_CONTEXTS, parse_ami_event
from services.calls.telephony.events import TelephonyError, TelephonyEvent, TelephonyKind, normalise_extension
from services.calls.telephony.queue_log import parse_queue_log
from services.calls.telephony.webhook import CallEventIn

__all__ = [
    "DEFAULT_INBOUND_CONTEXTS",
    "CallEventIn",
    "TelephonyError",
    "TelephonyEvent",
    "TelephonyKind",
    "normalise_extension",
    "parse_ami_event",
    "parse_queue_log",
]
