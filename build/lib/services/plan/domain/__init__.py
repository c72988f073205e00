"""The plan service's domain: the strategic plan read from its export (sheet), its cross-check, and the plan
aggregate with its versions. Plain rules and events: no web framework, database or broker."""

from services.plan.domain.crosscheck import cross_check
from services.plan.domain.plan import DEFAULT_PLAN, StrategicPlan, digest, plan_id
from services.plan.domain.sheet import parse_plan, turkish_number

__all__ = ["DEFAULT_PLAN", "StrategicPlan", "cross_check", "digest", "parse_plan", "plan_id", "turkish_number"]
