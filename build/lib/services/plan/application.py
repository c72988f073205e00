"""PlanOffice: the strategic plan's imports, versions and cross-check over the plan service's event store."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from services.plan.contract import CONTRACT
from services.plan.domain import DEFAULT_PLAN, StrategicPlan, cross_check, digest, parse_plan, plan_id
from services.plan.domain.card import parse_card
from services.plan.domain.kpi import Binding
from services.plan.domain.manual import ManualActual, check_month, manual_id
from services.plan.domain.revision import RevisionTask, day_of, revision_id
from services.plan.domain.risk import PROBABILITY, SEVERITY, TEXT_FIELDS, Risk, risk_id
from services.plan.domain.spending import Spending, spending_id
from shared.as_of import aggregate_as_of
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.problems import DomainError, InvalidInput, NotFound

# How an export is decoded: UTF-8 as the seed is; a sheet saved by a Turkish Windows spreadsheet is Windows-1254.
ENCODINGS = ("utf-8-sig", "cp1254")


class PlanNotFound(NotFound):
    pass


@dataclass(frozen=True)
class ImportResult:
    plan_id: uuid.UUID
    version: int
    created: bool  # False: the file reads as the version in force, and nothing was recorded
    findings: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        return {
            "plan_id": str(self.plan_id),
            "version": self.version,
            "created": self.created,
            "findings": self.findings,
        }


def decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor Windows-1254 text")


def version_meta(version: dict[str, Any]) -> dict[str, Any]:
    content = version["content"]
    return {
        "number": version["number"],
        "digest": version["digest"],
        "source_name": version["source_name"],
        "by": version["by"],
        "at": version["at"],
        "year": content.get("year"),
        "aims": len(content["aims"]),
        "targets": len(content["targets"]),
        "activities": len(content["activities"]),
    }


class PlanOffice(CrmApplication):
    service: ClassVar[str] = "plan"
    contract: ClassVar[EventContract] = CONTRACT

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        clock: Clock = system_clock,
        bindings: dict[str, Binding] | None = None,
        revision_opens: str = "01-01",
        revision_due: str = "01-31",
    ):
        super().__init__(env)
        self.clock = clock
        self.risks = RiskRegister(self)
        self.bindings: dict[str, Binding] = bindings or {}
        day_of(2000, revision_opens), day_of(2000, revision_due)  # a mistaken setting stops the service at start
        self.revision_opens, self.revision_due = revision_opens, revision_due

    # -- commands ----------------------------------------------------------------------------------------------
    def import_plan(
        self, data: bytes | str, *, by: str, source_name: str | None = None, key: str = DEFAULT_PLAN
    ) -> ImportResult:
        """Read the plan's export and record it as a new version unless it reads as the version in force. A file
        that holds no plan at all is refused (422) and nothing is recorded; its irregularities are not."""
        text = decode(data) if isinstance(data, bytes) else data
        content = parse_plan(text)
        fingerprint = digest(content)
        plan = self.find_plan(key)
        if plan is None:
            plan = StrategicPlan(key, content, fingerprint, source_name, by, self.clock())
            created = True
        else:
            created = plan.revise(content, fingerprint, source_name, by, self.clock())
        if created:
            self.save_or_conflict(plan, what=f"the strategic plan {key!r}")
        return ImportResult(plan.id, plan.current["number"], created, cross_check(content))

    def enter_actual(
        self, activity: str, month: str, value: float, evidence: str, *, by: str
    ) -> tuple[uuid.UUID, bool]:
        """A month's figure of an activity measured by hand, with its evidence; entering it again corrects it.
        An activity the CRM measures from its events is not entered by hand (409): two sources would count twice."""
        check_month(month)
        if value < 0:
            raise InvalidInput("an actual is not negative")
        if not evidence.strip():
            raise InvalidInput("give the evidence document (its number or name)")
        keys = {a["key"] for a in self.version()["content"]["activities"]}
        if activity not in keys:
            raise InvalidInput(f"the plan in force has no activity {activity}")
        binding = self.bindings.get(activity)
        if binding is not None and binding.kind == "events":
            raise DomainError(f"{activity} is measured from the CRM's events ({', '.join(binding.types)})")
        entry = self.find_aggregate(manual_id(activity, month), ManualActual)
        if entry is None:
            entry = ManualActual(activity, month, value, evidence.strip(), by, self.clock())
            changed = True
        else:
            changed = entry.correct(value, evidence.strip(), by, self.clock())
        if changed:
            self.save_or_conflict(entry, what=f"the actual of {activity} for {month}")
        return entry.id, changed

    def record_spending(
        self, activity: str, month: str, amount: float, reference: str, note: str | None, *, by: str
    ) -> tuple[uuid.UUID, bool]:
        """What was spent on an activity of the plan in force, by voucher; the same voucher again corrects it."""
        keys = {a["key"] for a in self.version()["content"]["activities"]}
        if activity not in keys:
            raise InvalidInput(f"the plan in force has no activity {activity}")
        entry = self.find_aggregate(spending_id(activity, reference), Spending)
        if entry is None:
            entry = Spending.record(
                activity=activity, month=month, amount=amount, reference=reference, note=note, by=by, at=self.clock()
            )
            changed = True
        else:
            changed = entry.correct(month=month, amount=amount, note=note, by=by, at=self.clock())
        if changed:
            self.save_or_conflict(entry, what=f"the spending {reference!r} of {activity}")
        return entry.id, changed

    # -- the yearly revision -------------------------------------------------------------------------------------
    def find_revision(self, year: int) -> RevisionTask | None:
        return self.find_aggregate(revision_id(year), RevisionTask)

    def revision_tick(self) -> list[str]:
        """Open this year's revision task from its opening day, mark it overdue the day after it is due; what was
        recorded, e.g. ["opened 2027", "overdue 2027"] (nothing when run again)."""
        now = self.clock()
        today, done = now.date(), []
        task = self.find_revision(now.year)
        if task is None and today >= day_of(now.year, self.revision_opens):
            due = day_of(now.year, self.revision_due)
            task = RevisionTask(now.year, day_of(now.year, self.revision_opens).isoformat(), due.isoformat(), now)
            self.save_or_conflict(task, what=f"the revision of {now.year}")
            done.append(f"opened {now.year}")
        for year in (now.year - 1, now.year):
            task = self.find_revision(year)
            if task is not None and task.mark_overdue(today, now):
                self.save_or_conflict(task, what=f"the revision of {year}")
                done.append(f"overdue {year}")
        return done

    def complete_revision(self, year: int, note: str, *, by: str) -> dict[str, Any]:
        task = self.find_revision(year)
        if task is None:
            raise NotFound(f"no revision task of {year} is open (it opens on {self.revision_opens})")
        plan = self.find_plan()
        since = task.opened_at
        revisited = sum(
            1
            for r in self.risks.register_as_of()
            if any(s["at"] >= since for s in r["scores"][1:])
            or any(v["kind"] == "review" and v["at"] >= since for v in r["reviews"])
        )
        task.complete(
            note=note,
            plan_version=plan.current["number"] if plan else None,
            risks_revisited=revisited,
            by=by,
            at=self.clock(),
        )
        self.save_or_conflict(task, what=f"the revision of {year}")
        return task.view()

    def revisions(self) -> list[dict[str, Any]]:
        now = self.clock()
        found = (self.find_revision(y) for y in range(now.year - 5, now.year + 1))
        return [t.view() for t in found if t is not None]

    # -- queries -----------------------------------------------------------------------------------------------
    def find_plan(self, key: str = DEFAULT_PLAN) -> StrategicPlan | None:
        return self.find_aggregate(plan_id(key), StrategicPlan)

    def get_plan(self, key: str = DEFAULT_PLAN) -> StrategicPlan:
        found = self.find_plan(key)
        if found is None:
            raise PlanNotFound(f"no strategic plan {key!r} has been imported")
        return found

    def version(
        self, number: int | None = None, key: str = DEFAULT_PLAN, *, as_of: datetime | None = None
    ) -> dict[str, Any]:
        """A version of the plan (the one in force when `number` is None; with `as_of`, the one in force then): its
        facts and what it holds."""
        plan = self.get_plan(key)
        if as_of is not None:
            then = aggregate_as_of(self, plan.id, as_of)
            if not isinstance(then, StrategicPlan):
                raise PlanNotFound(f"no strategic plan {key!r} had been imported by {as_of.isoformat()}")
            plan = then
        if number is None:
            chosen = plan.current
        elif 1 <= number <= len(plan.versions):
            chosen = plan.versions[number - 1]
        else:
            raise PlanNotFound(f"the strategic plan {key!r} has no version {number}")
        return {**version_meta(chosen), "in_force": chosen is plan.current, "content": chosen["content"]}

    def versions(self, key: str = DEFAULT_PLAN) -> list[dict[str, Any]]:
        plan = self.get_plan(key)
        return [{**version_meta(v), "in_force": v is plan.current} for v in plan.versions]

    def check(self, number: int | None = None, key: str = DEFAULT_PLAN) -> list[dict[str, Any]]:
        return cross_check(self.version(number, key)["content"])

    def history(self, key: str = DEFAULT_PLAN) -> list[dict[str, Any]]:
        """The plan's events, oldest first, without the plan's content (GET a version for that)."""
        out = []
        for e in self.event_history(self.get_plan(key).id):
            data = {k: v for k, v in e["data"].items() if k != "content"}
            out.append({**e, "data": data})
        return out


class RiskNotFound(NotFound):
    pass


class RiskExists(DomainError):
    """A risk with this wording is already in the process's register (409)."""


def trend(scores: list[dict[str, Any]]) -> str:
    """How the risk moved at its last re-scoring: rising, falling or steady (never re-scored)."""
    if len(scores) < 2:
        return "steady"
    last, before = scores[-1]["score"], scores[-2]["score"]
    return "rising" if last > before else "falling" if last < before else "steady"


def risk_record(risk: Risk, moment: datetime | None = None) -> dict[str, Any] | None:
    """The plain view of a risk, as it stood at `moment` (now when None); None if not yet registered then."""
    scores = risk.scores if moment is None else [s for s in risk.scores if s["at"] <= moment]
    if not scores:
        return None
    return {
        "id": str(risk.id),
        "version": risk.version,
        "process": risk.process,
        "title": risk.title,
        **risk.details,
        **{k: scores[-1][k] for k in ("probability", "severity", "score", "band", "name")},
        "probability_meaning": PROBABILITY[scores[-1]["probability"]],
        "severity_meaning": SEVERITY[scores[-1]["severity"]],
        "scored_at": scores[-1]["at"],
        "trend": trend(scores),
        "scores": [dict(s) for s in scores],
        "action_requests": [dict(a) for a in risk.action_requests],
        "reviews": [dict(r) for r in risk.reviews if moment is None or r["at"] <= moment],
        "review_due": bool(risk.open_prompts),
    }


class RiskRegister:
    """The risk register's commands and queries, over the plan service's store (PlanOffice.risks)."""

    def __init__(self, office: PlanOffice):
        self.office = office
        # Which risks exist: the index in a running service; without one, those this process has registered.
        self.lister: Callable[[], list[uuid.UUID]] = lambda: list(self._known)
        self._known: dict[uuid.UUID, None] = {}

    def _now(self) -> datetime:
        return self.office.clock()

    def find(self, risk: uuid.UUID | str) -> Risk | None:
        return self.office.find_aggregate(risk, Risk)

    def get(self, risk: uuid.UUID | str) -> Risk:
        found = self.find(risk)
        if found is None:
            raise RiskNotFound(f"no risk with id {risk}")
        return found

    def _save(self, risk: Risk) -> None:
        self.office.save_or_conflict(risk, what=f"the risk {risk.title!r}")
        self._known[risk.id] = None

    def register_risk(
        self, *, process: str, title: str, probability: int, severity: int, by: str, **texts: Any
    ) -> uuid.UUID:
        if self.find(risk_id(process, title)) is not None:
            raise RiskExists(f"the risk {title!r} of {process!r} is in the register already")
        risk = Risk.register(
            process=process, title=title, probability=probability, severity=severity, by=by, at=self._now(), **texts
        )
        self._save(risk)
        return risk.id

    def rescore_risk(
        self, risk_id_: uuid.UUID | str, probability: int, severity: int, *, reason: str | None, by: str
    ) -> bool:
        risk = self.get(risk_id_)
        changed = risk.rescore(probability, severity, reason=reason, by=by, at=self._now())
        if changed:
            self._save(risk)
        return changed

    def revise_risk(self, risk_id_: uuid.UUID | str, *, by: str, **texts: Any) -> bool:
        risk = self.get(risk_id_)
        changed = risk.revise(by=by, at=self._now(), **texts)
        if changed:
            self._save(risk)
        return changed

    def request_action(self, risk_id_: uuid.UUID | str, measure: str, *, unit: str | None, by: str) -> str:
        risk = self.get(risk_id_)
        source_ref = risk.request_action(measure, unit=unit, by=by, at=self._now())
        self._save(risk)
        return source_ref

    def review_risk(self, risk_id_: uuid.UUID | str, outcome: str, *, by: str) -> None:
        risk = self.get(risk_id_)
        risk.review(outcome=outcome, by=by, at=self._now())
        self._save(risk)

    def import_card(self, data: bytes | str, *, by: str) -> dict[str, Any]:
        """Register the card's risks; a risk already there is re-scored and its texts revised where the card says
        otherwise, so importing the same card twice records nothing the second time."""
        card = parse_card(decode(data) if isinstance(data, bytes) else data)
        outcome: dict[str, Any] = {"document": card["document"], "registered": [], "rescored": [], "revised": []}
        outcome["unchanged"] = []
        outcome["findings"] = list(card["findings"])
        for row in card["risks"]:
            if not (row["probability"] and row["severity"]):
                continue  # reported in the findings; a risk without a score is not registered half-known
            texts = {name: row[name] for name in TEXT_FIELDS}
            existing = self.find(risk_id(row["process"], row["title"]))
            if existing is None:
                new = self.register_risk(
                    process=row["process"],
                    title=row["title"],
                    probability=row["probability"],
                    severity=row["severity"],
                    by=by,
                    **texts,
                )
                outcome["registered"].append(str(new))
                continue
            rescored = self.rescore_risk(
                existing.id, row["probability"], row["severity"], reason="process card imported", by=by
            )
            revised = self.revise_risk(existing.id, by=by, **texts)
            key = "rescored" if rescored else "revised" if revised else "unchanged"
            outcome[key].append(str(existing.id))
        return outcome

    def record(self, risk_id_: uuid.UUID | str) -> dict[str, Any]:
        found = risk_record(self.get(risk_id_))
        if found is None:  # a registered risk always has its first score; a store that says otherwise is broken
            raise RiskNotFound(f"the risk {risk_id_} has no score")
        return found

    def register_as_of(self, moment: datetime | None = None) -> list[dict[str, Any]]:
        """Every risk as it stood at `moment` (now when None), highest R first."""
        if moment is None:
            found_risks = (self.find(i) for i in self.lister())
        else:  # each risk replayed from its events up to then: its version, actions and prompts as they stood
            found_risks = (aggregate_as_of(self.office, i, moment) for i in self.lister())
        records = [risk_record(r, moment) for r in found_risks if isinstance(r, Risk)]
        found = [r for r in records if r is not None]
        return sorted(found, key=lambda r: (-r["score"], r["process"], r["title"]))
