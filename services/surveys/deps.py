"""What the surveys API's handlers are given: the office, the survey index and the call list of the running app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from services.surveys.application import SurveyOffice
from services.surveys.calllist import CallList
from services.surveys.index import SurveyIndex

MemberNumber = Annotated[str, Path(min_length=1, max_length=50, description="the member's membership number")]


# Plain look-ups, so async: FastAPI runs a plain `def` dependency in its thread pool, a hand-off to another thread
# for each one of each request.
async def get_office(request: Request) -> SurveyOffice:
    return request.app.state.office


async def get_index(request: Request) -> SurveyIndex:
    return request.app.state.index


async def get_calls(request: Request) -> CallList:
    return request.app.state.calls


OfficeDep = Annotated[SurveyOffice, Depends(get_office)]
CallsDep = Annotated[CallList, Depends(get_calls)]
IndexDep = Annotated[SurveyIndex, Depends(get_index)]
