"""The member database's published events: members and the selections taken of them (topic `crm.members.events.v1`).

The wire types are declared here, once, and never derived from class names: a renamed or moved event class keeps
its wire type by changing only the right-hand side. A payload change that consumers cannot read gets a new wire
type (`.v2`) next to the old one. After any change run `make contracts` and commit the JSON Schema files under
`contracts/members/`.
"""

from shared.contracts import EventContract

CONTRACT = EventContract(
    "members",
    {
        "crm.members.member.registered.v1": "services.members.domain:Member.Registered",
        "crm.members.member.details_updated.v1": "services.members.domain:Member.DetailsUpdated",
        "crm.members.member.suspended.v1": "services.members.domain:Member.Suspended",
        "crm.members.member.reinstated.v1": "services.members.domain:Member.Reinstated",
        "crm.members.member.ended.v1": "services.members.domain:Member.Ended",
        "crm.members.member.erased.v1": "services.members.domain:Member.Erased",
        "crm.members.selection.taken.v1": "services.members.domain:Selection.Taken",
    },
)
