"""The service desks' domain: the desk aggregate and its six steps (desk.py), registration and scheduling
(scheduling.py), the checks of each step (rules.py), what is asked of the notification channels (notices.py), the
words and text rules (vocabulary.py), and the solved/raised ratio report (ratio_report.py).

Stored events name their classes `services.desks.domain:Desk.*` and `services.desks.domain:RatioReport.*`: both
classes keep that module name and are importable from here, so the store reads them wherever they live.
"""

# The aggregates' events carry this module's name (their stored topics), so their annotations are resolved here
# (the contracts' schemas read them): the names they use must be importable from this module.
from datetime import datetime  # noqa: F401
from typing import Any  # noqa: F401

from services.desks.domain.desk import Desk
from services.desks.domain.ratio_report import Period, RatioReport, report_id
from services.desks.domain.vocabulary import (
    CATERING_COST_CENTRE,
    CHECKLIST_FORM,
    DESK_NAMESPACE,
    LANGUAGES,
    MAX_CAPACITY,
    MAX_TEXT,
    PLAN_FORM,
    PROBLEM_FORM,
    REQUEST_FORM,
    Channel,
    Format,
    FormState,
    Route,
    Stage,
    TransitionRefused,
    clean_text,
    desk_id,
    language_of,
    required_text,
    text_list,
)

__all__ = [
    "CATERING_COST_CENTRE",
    "CHECKLIST_FORM",
    "DESK_NAMESPACE",
    "LANGUAGES",
    "MAX_CAPACITY",
    "MAX_TEXT",
    "PLAN_FORM",
    "PROBLEM_FORM",
    "REQUEST_FORM",
    "Channel",
    "Desk",
    "Format",
    "FormState",
    "Period",
    "RatioReport",
    "Route",
    "Stage",
    "TransitionRefused",
    "clean_text",
    "desk_id",
    "language_of",
    "report_id",
    "required_text",
    "text_list",
]
