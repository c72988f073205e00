"""The console's pages: login and password, My work, calls, complaints, members, surveys, desks, plan and reports,
and the admin's page of users. Every read and every command goes to the service that owns it, with the session's
bearer token; a refusal is shown next to the form in the person's language."""

from __future__ import annotations

from fastapi import APIRouter

from services.console import (
    page_calls,
    page_complaints,
    page_desks,
    page_login,
    page_members,
    page_surveys,
    page_users,
    page_work,
)

# The areas in the order their routes are matched: no path of one area is matched by another's.
pages = APIRouter(include_in_schema=False)
for area in (page_login, page_work, page_calls, page_complaints, page_members, page_surveys, page_desks, page_users):
    pages.include_router(area.router)
