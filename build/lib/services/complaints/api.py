"""HTTP API of the complaints service: the staff's work at each step of the procedure, the complaint form
ME-FR-01-01-01, documents, and the internal door for other services.

Roles follow the procedure (docs/procedures.md#complaints): experts register, the member-relations manager reviews, refers,
notifies, closes; the SG assigns and decides; the handler sees what is assigned and files the report; committee
members see the complaints of their meetings; auditors read everything and change nothing. A role that may not
take a step gets 403; a complaint the caller may not know exists is 404, whatever the step.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.complaints import api_handling, api_lists, api_records, api_review

# One router for /complaints, its parts by procedure step. The lists come first: `/complaints/export` and
# `/complaints/waiting-on-me` must be matched before `/complaints/{complaint_id}`.
router = APIRouter()
for part in (api_lists, api_review, api_records, api_handling):
    router.include_router(part.router)
