"""The surveys' store: finding questionnaires, surveys and contacts, the view of a survey that answers read (kept per
survey version, so that a 30,000-member list is not loaded for each answer), and the scans of the store that stand
in for the index in tests and scripts. The office's steps build on it (application.py, contacting.py,
summaries.py)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.utils import get_topic

from services.surveys.domain import (
    Contact,
    Questionnaire,
    Stage,
    Survey,
    contact_id,
)
from services.surveys.views import questionnaire_record, survey_record
from shared.calendar import IRAN, BusinessCalendar
from shared.clock import Clock, system_clock
from shared.eventstore import CrmApplication
from shared.group_commit import GroupCommit
from shared.organisation import Organisation
from shared.problems import DomainError, NotFound
from shared.settings import SurveySettings


class SurveyNotFound(NotFound):
    pass


class QuestionnaireNotFound(NotFound):
    pass


class SummaryNotFound(NotFound):
    """No weekly summary of that week has been recorded for the survey."""


class MemberNotAsked(NotFound):
    """The membership number is not on the survey's list."""


class Roster(Protocol):
    """The active members and the member database's frozen selections, as the members topic told them."""

    def active_numbers(self) -> list[str]: ...

    def selection(self, selection_id: str) -> list[str] | None: ...


Responses = Callable[[str], list[dict[str, Any]]]


class EmptyRoster:
    """No member has been heard of: for an office run without the members topic (tests, scripts)."""

    def active_numbers(self) -> list[str]:
        return []

    def selection(self, selection_id: str) -> list[str] | None:
        return None


@dataclass(frozen=True)
class SurveyView:
    """What answering a survey needs of it, kept between answers: a round asks 30,000 members, and loading the
    survey with its member list for each answer (and turning the list into a set to look a member up) cost more than
    recording the answer. Valid for exactly one version of the survey: any step of the survey makes a new one."""

    id: uuid.UUID
    version: int
    stage: str
    kind: str
    unit: str
    subject: str
    ends_on: str | None
    members: frozenset[str]
    questions: tuple[dict[str, Any], ...]
    record: dict[str, Any]


VIEWS_KEPT = 32  # surveys running at once in a chamber: a handful


class SurveyStore(CrmApplication):
    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        organisation: Organisation | None = None,
        clock: Clock = system_clock,
        roster: Roster | None = None,
        calendar: BusinessCalendar | None = None,
        config: SurveySettings | None = None,
        responses: Responses | None = None,
    ):
        super().__init__(env)
        self.organisation = organisation
        self.clock = clock
        self.roster: Roster = roster or EmptyRoster()
        self.calendar = calendar or BusinessCalendar(IRAN)
        self.config = config or SurveySettings()
        # Every response of a survey (its answers, channel, when): the index in a running service, a scan of the
        # store otherwise.
        self.responses: Responses = responses or self._scan_responses
        self.complaint_log: Callable[[str], list[dict[str, Any]]] = self._scan_complaints
        self._views: dict[uuid.UUID, SurveyView] = {}
        # Members' contacts saved by concurrent requests while a transaction is written go together in the next
        # one (shared/group_commit.py): answers by phone come one member a request, and a commit each bound them.
        self._contact_saves: GroupCommit[list[Any], None] = GroupCommit(self._store_together)
        self.running: Callable[[], list[str]] = lambda: [
            s["id"] for s in self._all_surveys() if s["stage"] == Stage.RUNNING
        ]

    def _store_together(self, batches: list[list[Any]]) -> list[None]:
        """Each item the pending events of one aggregate's change: all stored in one transaction, or none."""
        self.save(*(event for events in batches for event in events))
        return [None] * len(batches)

    def save_contact(self, contact: Contact, *, what: str) -> None:
        """Save one member's contact, in one transaction with the contacts other requests save at the same moment;
        409 when another request saved a newer version of it first (only that request's change is refused)."""
        try:
            self._contact_saves.submit([list(contact.collect_events())])
        except IntegrityError:
            raise DomainError(f"{what} changed meanwhile; reload it and try again") from None

    # -- queries -----------------------------------------------------------------------------------------------
    def get_questionnaire(self, qid: uuid.UUID | str) -> Questionnaire:
        return self.get_aggregate(qid, Questionnaire, QuestionnaireNotFound, f"no questionnaire with id {qid}")

    def get_survey(self, sid: uuid.UUID | str) -> Survey:
        return self.get_aggregate(sid, Survey, SurveyNotFound, f"no survey with id {sid}")

    def _latest_version(self, aggregate_id: uuid.UUID) -> int | None:
        """The version of the aggregate's last stored event: the version column of one indexed row. Not the last
        event itself: a round's Started event names every member asked, and reading it for each answer made an
        answer cost more the larger the round."""
        return self.latest_version(aggregate_id)

    def survey_view(self, sid: uuid.UUID | str) -> SurveyView:
        """The survey as of its latest version, loaded only when it changed since the last call (every replica
        checks the store's version, so a step taken elsewhere is seen at once)."""
        try:
            uid = uuid.UUID(str(sid))
        except ValueError:
            raise SurveyNotFound(f"no survey with id {sid}") from None
        view = self._views.get(uid)
        if view is not None and view.version == self._latest_version(uid):
            return view
        s = self.get_survey(uid)
        view = SurveyView(
            id=s.id,
            version=s.version,
            stage=s.stage,
            kind=s.kind,
            unit=s.unit,
            subject=s.subject,
            ends_on=s.ends_on,
            members=frozenset(s.members),
            questions=tuple(self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)),
            record=survey_record(s),
        )
        if len(self._views) >= VIEWS_KEPT:
            self._views.pop(next(iter(self._views)), None)
        self._views[uid] = view
        return view

    def survey_and_contact(self, sid: uuid.UUID | str, number: str) -> tuple[SurveyView, Contact | None]:
        """The survey's view as `survey_view` gives it and the member's contact (None before the first step with
        the member), both read in one read transaction of the store where it allows it (SQLite): an answer by
        phone needs both, and a transaction each cost as much as reading them."""
        try:
            uid = uuid.UUID(str(sid))
        except ValueError:
            raise SurveyNotFound(f"no survey with id {sid}") from None
        cid = contact_id(uid, number)
        recorder: Any = self.recorder
        datastore: Any = getattr(recorder, "datastore", None)
        if not isinstance(datastore, SQLiteDatastore):
            return self.survey_view(uid), self.find_aggregate(cid, Contact)
        with datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT max(originator_version) FROM {recorder.events_table_name} WHERE originator_id=?", [uid.hex]
            )
            version = c.fetchone()[0]
            c.execute(
                f"{recorder.select_events_statement}ORDER BY originator_version ASC",
                [cid.hex],
            )
            rows = c.fetchall()
        view = self._views.get(uid)
        if view is None or version is None or view.version != version:
            view = self.survey_view(uid)  # changed since it was last read (or never read): loaded again
        contact: Any = None
        for row in rows:
            event: Any = self.mapper.to_domain_event(
                StoredEvent(
                    originator_id=cid,
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
            )
            contact = event.mutate(contact)
        return view, contact if isinstance(contact, Contact) else None

    def questionnaire(self, qid: uuid.UUID | str) -> dict[str, Any]:
        return questionnaire_record(self.get_questionnaire(qid))

    def survey(self, sid: uuid.UUID | str) -> dict[str, Any]:
        return copy.deepcopy(self.survey_view(sid).record)

    def questions_of(self, sid: uuid.UUID | str) -> list[dict[str, Any]]:
        """The questions as the survey asks them: the version it keeps, whatever was revised since."""
        return copy.deepcopy(list(self.survey_view(sid).questions))

    def roster_language(self, number: str) -> str | None:
        """The member's preferred language, as the members topic told it; None when unknown."""
        language_of = getattr(self.roster, "language_of", None)
        return language_of(number) if language_of else None

    def record_links_issued(self, sid: uuid.UUID | str, count: int, *, by: str | None = None) -> None:
        self._command(sid, lambda s, now: s.record_links_issued(count, by=by, at=now))

    def members_of(self, sid: uuid.UUID | str) -> list[str]:
        s = self.get_survey(sid)
        return list(s.members if s.members else s.member_list)

    def _command(self, sid: uuid.UUID | str, step: Callable[[Survey, datetime], Any]) -> Any:
        s = self.get_survey(sid)
        result = step(s, self.clock())
        try:
            self.save(s)
        except IntegrityError:
            raise DomainError("the survey changed meanwhile; reload it and try again") from None
        return result

    def _scan_responses(self, sid: str) -> list[dict[str, Any]]:
        """The survey's responses read from the store itself (no index): for tests and scripts."""
        topic = get_topic(Contact.Responded)  # type: ignore[attr-defined]  # made by @event
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            for n in batch:
                event: Any = self.mapper.to_domain_event(n)
                contact: Contact = self.repository.get(n.originator_id)
                if contact.survey_id == sid:
                    found.append(
                        {
                            "membership_number": contact.membership_number,
                            "answers": dict(event.answers),
                            "channel": event.channel,
                            "at": event.at,
                        }
                    )
            start = batch[-1].id

    def list_questionnaires(self) -> list[dict[str, Any]]:
        """Every questionnaire, read from the store: a chamber keeps a few dozen at most, so no index is kept."""
        topic = get_topic(Questionnaire.Created)
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            found.extend(questionnaire_record(self.get_questionnaire(n.originator_id)) for n in batch)
            start = batch[-1].id

    def _all_surveys(self) -> list[dict[str, Any]]:
        """Every survey, read from the store: surveys are few (a handful a month)."""
        topic = get_topic(Survey.Requested)  # type: ignore[attr-defined]  # made by @event
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            found.extend(survey_record(self.get_survey(n.originator_id)) for n in batch)
            start = batch[-1].id

    def _scan_complaints(self, sid: str) -> list[dict[str, Any]]:
        """The complaints the survey opened, read from the store itself (no index): for tests and scripts."""
        topics = [
            get_topic(Survey.ComplaintRaised),  # type: ignore[attr-defined]  # made by @event
            get_topic(Contact.DissatisfactionRecorded),  # type: ignore[attr-defined]  # made by @event
        ]
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=topics, inclusive_of_start=False)
            if not batch:
                return found
            for n in batch:
                event: Any = self.mapper.to_domain_event(n)
                if event.complaint["source_ref"].split(":")[1] == sid:
                    found.append({"source_ref": event.complaint["source_ref"], "at": event.at})
            start = batch[-1].id
