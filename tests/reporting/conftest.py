"""The reporting engine as the processor runs it, fed with the calls service's real events: one set of fixtures for
the engine's tests (a module that needs another engine, e.g. with sealed lists, defines its own)."""

from __future__ import annotations

import pytest

from services.calls.application import CallCentre
from services.reporting.engine import ReportingEngine
from services.reporting.oversight import Oversight
from services.reporting.readmodel import ReadModel
from shared.calendar import IRAN, BusinessCalendar
from tests.reporting.test_engine import ORGANISATION, RULE, Feed


@pytest.fixture
def calendar() -> BusinessCalendar:
    return BusinessCalendar(IRAN)


@pytest.fixture
def centre(clock, calendar) -> CallCentre:
    return CallCentre(organisation=ORGANISATION, calendar=calendar, clock=clock)


@pytest.fixture
def readmodel(tmp_path, calendar) -> ReadModel:
    return ReadModel(f"sqlite:///{tmp_path}/rm.db", calendar)


@pytest.fixture
def oversight() -> Oversight:
    return Oversight()


@pytest.fixture
def engine(readmodel, oversight, calendar, clock) -> ReportingEngine:
    return ReportingEngine(readmodel, oversight, ORGANISATION, calendar, RULE, clock)


@pytest.fixture
def feed(engine, centre, oversight) -> Feed:
    return Feed(engine, centre, oversight)
