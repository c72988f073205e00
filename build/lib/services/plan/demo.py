"""The plan's part of `crm demo`: the chamber's strategic plan and the process card's risk register (the seeds in
services/plan/seed/), and this year's member visits (F.2.1.3) entered by hand with their F.12 forms, month by month
up to the running one. The activities measured from events move with the surveys, actions and sessions the demo
runs in their own services."""

from __future__ import annotations

import random
import sys
from datetime import datetime
from pathlib import Path

from services.plan.application import PlanOffice
from services.plan.main import build_office
from shared.settings import Settings

SEED = Path(__file__).with_name("seed")
PLAN_FILE = SEED / "strategic_plan.tsv"
CARD_FILE = SEED / "process_card.txt"


def load_plan(settings: Settings, *, now: datetime, seed: int, out=sys.stdout) -> dict[str, int]:
    office = build_office(settings, lambda: now)
    try:
        return load_into(office, now=now, seed=seed, out=out)
    finally:
        office.close()


def load_into(office: PlanOffice, *, now: datetime, seed: int, out=sys.stdout) -> dict[str, int]:
    """Import the plan and the risk register (nothing new when they are there already) and enter each month's
    member visits of this year so far that is not entered yet."""
    rng = random.Random(seed)
    result = office.import_plan(PLAN_FILE.read_bytes(), by="a.sharifi", source_name=PLAN_FILE.name)
    risks = office.risks.import_card(CARD_FILE.read_bytes(), by="m.karimi")
    entered = 0
    for month in range(1, now.month + 1):
        _, changed = office.enter_actual(
            "F.2.1.3",
            f"{now.year:04d}-{month:02d}",
            rng.randint(9, 16),
            f"F.12 Görüşme Formu {now.year}/{month:02d}",
            by="a.sharifi",
        )
        entered += changed
    print(
        f"demo: strategic plan version {result.version} ({len(result.findings)} findings), "
        f"{len(risks['registered'])} risks registered, {entered} months of member visits entered",
        file=out,
    )
    return {"version": result.version, "risks": len(risks["registered"]), "visits": entered}
