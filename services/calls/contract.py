"""The calls service's published events: what happened to each call (topic `crm.calls.events.v1`).

The wire types are declared here, once, and never derived from class names: a renamed or moved event class keeps
its wire type by changing only the right-hand side. A payload change that consumers cannot read gets a new wire
type (`.v2`) next to the old one. After any change run `make contracts` and commit the JSON Schema files under
`contracts/calls/`.
"""

from shared.contracts import EventContract

CONTRACT = EventContract(
    "calls",
    {
        "crm.calls.call.received.v1": "services.calls.domain:Call.Received",
        "crm.calls.call.routed.v1": "services.calls.domain:Call.Routed",
        "crm.calls.call.expert_missed.v1": "services.calls.domain:Call.ExpertMissed",
        "crm.calls.call.answered.v1": "services.calls.domain:Call.Answered",
        "crm.calls.call.member_relations_answered.v1": "services.calls.domain:Call.MemberRelationsAnswered",
        "crm.calls.call.unit_did_not_answer.v1": "services.calls.domain:Call.UnitDidNotAnswer",
        "crm.calls.call.transfer_not_answered.v1": "services.calls.domain:Call.TransferNotAnswered",
        "crm.calls.call.transferred_to_member_relations.v1": "services.calls.domain:Call.TransferredToMemberRelations",
        "crm.calls.call.subject_taken_down.v1": "services.calls.domain:Call.SubjectTakenDown",
        "crm.calls.call.transferred_to_expert.v1": "services.calls.domain:Call.TransferredToExpert",
        "crm.calls.call.unanswered_registered.v1": "services.calls.domain:Call.UnansweredRegistered",
        "crm.calls.call.callback_recorded.v1": "services.calls.domain:Call.CallbackRecorded",
        "crm.calls.call.completed.v1": "services.calls.domain:Call.Completed",
        "crm.calls.call.not_reached.v1": "services.calls.domain:Call.NotReached",
        "crm.calls.call.caller_hung_up.v1": "services.calls.domain:Call.CallerHungUp",
        "crm.calls.call.resolved_by_member_relations.v1": "services.calls.domain:Call.ResolvedByMemberRelations",
        "crm.calls.call.queued_unrouted.v1": "services.calls.domain:Call.QueuedUnrouted",
        "crm.calls.call.pbx_event_held.v1": "services.calls.domain:Call.PbxEventHeld",
        "crm.calls.call.complaint_referral_requested.v1": "services.calls.domain:Call.ComplaintReferralRequested",
        "crm.calls.call.member_relations_follow_up_opened.v1": (
            "services.calls.domain:Call.MemberRelationsFollowUpOpened"
        ),
        "crm.calls.call.deadline_moved.v1": "services.calls.domain:Call.DeadlineMoved",
        "crm.calls.caller.erased.v1": "services.calls.erasure:CallerErasure.Recorded",
        "crm.calls.calendar.started.v1": "services.calls.calendar:ChamberCalendar.Started",
        "crm.calls.calendar.schedule_set.v1": "services.calls.calendar:ChamberCalendar.ScheduleSet",
        "crm.calls.calendar.day_closed.v1": "services.calls.calendar:ChamberCalendar.DayClosed",
    },
)
