"""Who may read what the notifier sent: pure rules over a principal and a box's address, and the dependencies that
apply them.

The messages and every mailbox hold other people's mail (a complainant's result, a unit's list), so they are for
the operators (admin), the auditor, the SG and the member-relations manager; any other member of the staff reads
only the box of his or her own address (the organisation file's `[[people]]` entry). Members, machines and
anonymous callers read nothing here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from shared.auth import Principal, Role, require
from shared.organisation import Organisation

SEE_ALL = (Role.ADMIN, Role.AUDITOR, Role.SG, Role.MR_MANAGER)
STAFF = (*SEE_ALL, Role.EXPERT, Role.UNIT_MANAGER, Role.PRESIDENT, Role.MS_EXPERT, Role.MS_MANAGER, Role.COMMITTEE)


def sees_all(p: Principal) -> bool:
    return p.role in SEE_ALL


def own_addresses(p: Principal, organisation: Organisation) -> set[str]:
    """The principal's own e-mail address and phone number, as the organisation file gives them."""
    person = next((x for x in organisation.people if x.name == p.name), None)
    if person is None:
        return set()
    return {a.lower() for a in (person.email, person.phone) if a}


def may_read_box(p: Principal, address: str, organisation: Organisation) -> bool:
    return sees_all(p) or (p.role in STAFF and address.lower() in own_addresses(p, organisation))


Overseer = Annotated[Principal, Depends(require(*SEE_ALL))]
Staff = Annotated[Principal, Depends(require(*STAFF))]


def check_box(request: Request, principal: Principal, address: str) -> None:
    if not may_read_box(principal, address, request.app.state.organisation):
        raise HTTPException(
            403,
            "only the owner of this address, the SG, the member-relations manager, the auditor "
            "and the operators read this box",
        )
