"""Who may do what in the member database (ME-FR-03-01-01).

Staff, auditors and operators read members; member-relations experts and the manager keep the details; the
member-relations manager (and operators) change a membership's status and import lists; the history is for those
who audit or answer for the records; selections (invitation lists) are taken by member relations and the SG. The
telephone system sees, of a member found by phone number, only what routing a call needs.

The rules are pure; the dependencies at the end apply them to a request, so handlers never decide access.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends

from shared.auth import READERS, Principal, Role, require

EDITORS = (Role.EXPERT, Role.MR_MANAGER, Role.ADMIN)
STATUS_KEEPERS = (Role.MR_MANAGER, Role.ADMIN)
IMPORTERS = (Role.MR_MANAGER, Role.ADMIN)
ERASERS = (Role.ADMIN,)  # erasing a person's data for good is the operator's, on a request the chamber accepted
HISTORIANS = (Role.AUDITOR, Role.MR_MANAGER, Role.SG, Role.ADMIN)
SELECTORS = (Role.EXPERT, Role.MR_MANAGER, Role.SG, Role.ADMIN)
PHONE_READERS = (*READERS, Role.TELEPHONY)
# What routing a call needs of the member behind a number: who it is, not the member's whole record.
ROUTING_FIELDS = ("id", "membership_number", "name")


def reads_whole_record(principal: Principal) -> bool:
    return principal.role in READERS


def lookup_view(principal: Principal, member: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a member record the principal may read through the phone lookup."""
    if reads_whole_record(principal):
        return dict(member)
    return {k: member[k] for k in ROUTING_FIELDS}


Reader = Annotated[Principal, Depends(require(*READERS))]
Editor = Annotated[Principal, Depends(require(*EDITORS))]
StatusKeeper = Annotated[Principal, Depends(require(*STATUS_KEEPERS))]
Eraser = Annotated[Principal, Depends(require(*ERASERS))]
Importer = Annotated[Principal, Depends(require(*IMPORTERS))]
Historian = Annotated[Principal, Depends(require(*HISTORIANS))]
Selector = Annotated[Principal, Depends(require(*SELECTORS))]
PhoneReader = Annotated[Principal, Depends(require(*PHONE_READERS))]
