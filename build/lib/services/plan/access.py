"""Who may do what with the strategic plan.

The plan is the chamber's own, read by all its staff and the auditor: every unit answers for activities in it.
Importing a version changes what every unit is measured against, so only the SG, the member-relations manager
(who keeps the plan's monitoring) and an operator (role admin, who runs imports) may do it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth import READERS, Principal, Role, require

IMPORTERS = (Role.SG, Role.MR_MANAGER, Role.ADMIN)
# The risk register is the process owner's and the quality function's: the SG and the member-relations manager
# score risks and decide measures; an operator loads a card but does not judge risks.
RISK_KEEPERS = (Role.SG, Role.MR_MANAGER)


def may_import(p: Principal) -> bool:
    return p.role in IMPORTERS


def may_read(p: Principal) -> bool:
    return p.role in READERS


Reader = Annotated[Principal, Depends(require(*READERS))]
Importer = Annotated[Principal, Depends(require(*IMPORTERS))]
RiskKeeper = Annotated[Principal, Depends(require(*RISK_KEEPERS))]
# A unit enters the figures of the activities it answers for; the plan's unit names (Turkish, per chamber) are not
# the CRM's unit ids, so any unit manager may, and the entry records who did.
ActualEnterer = Annotated[Principal, Depends(require(Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG))]
