"""The risk register: the seed's process card (tests/plan/fixtures/process_card_p23.txt, a copy of `000_*`)
imported with its scores and bands, re-scoring as events, the register as of a date, each risk's trend, and the
corrective actions its measures ask for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.plan.application import PlanOffice
from services.plan.domain.card import parse_card
from services.plan.domain.risk import band, risk_id
from services.plan.outbox import ActionNotDelivered, ActionRefused, RiskActions, delivered
from shared.db import create_engine
from shared.errors import DomainError, InvalidInput

CARD = Path(__file__).parent / "fixtures" / "process_card_p23.txt"
PROCESS = "BİLGİ, DANIŞMANLIK VE DESTEK"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 10, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def office(clock) -> PlanOffice:
    return PlanOffice(clock=clock)


@pytest.mark.parametrize(
    ("score", "expected"),
    [(25, 1), (20, 1), (19, 2), (13, 2), (12, 3), (8, 3), (7, 4), (1, 4)],
)
def test_the_priority_band_follows_from_r_at_the_procedure_s_limits(score, expected):
    assert band(score)["band"] == expected


def test_the_seed_card_reads_as_six_risks_with_their_scores_and_bands():
    card = parse_card(CARD.read_text(encoding="utf-8"))
    assert card["document"] == "P.2.3"
    assert [(r["title"], r["probability"], r["severity"], r["stated_score"], r["stated_band"]) for r in card["risks"]] == [
        ("İl/İlçenin yatırım olanaklarının azalması", 4, 5, 20, 1),
        ("Üye sayısında düşüş", 5, 4, 20, 1),
        ("Rekabet edememe", 4, 4, 16, 2),
        ("Dış kaynaklı doküman ve linklerin takibinin yapılmaması", 4, 4, 16, 2),
        ("Pazar araştırmaları yapılamaması", 4, 4, 16, 2),
        ("Teşvik ve desteklerden haberdar olamama", 4, 4, 16, 2),
    ]  # fmt: skip
    assert card["findings"] == []  # every stated R is O × Ş and every band follows from it
    second = card["risks"][1]
    assert (second["process"], second["area"]) == (PROCESS, "Oda süreçleri")
    assert second["control_record"] == "Birliktelik ve işbirliği sayısı."


def test_a_card_whose_r_is_not_o_times_s_is_reported():
    text = CARD.read_text(encoding="utf-8").replace("\t5\t4\t20\t1\t", "\t5\t4\t16\t2\t")
    findings = parse_card(text)["findings"]
    assert [(f["kind"], f["line"]) for f in findings] == [("score_mismatch", 33), ("band_mismatch", 33)]


def test_importing_the_seed_card_registers_six_risks_and_again_changes_nothing(office):
    first = office.risks.import_card(CARD.read_bytes(), by="m.karimi")
    assert len(first["registered"]) == 6
    again = office.risks.import_card(CARD.read_bytes(), by="m.karimi")
    assert (again["registered"], again["rescored"], again["revised"], len(again["unchanged"])) == ([], [], [], 6)
    register = office.risks.register_as_of()
    assert [(r["score"], r["band"], r["name"]) for r in register][:3] == [
        (20, 1, "unacceptable"),
        (20, 1, "unacceptable"),
        (16, 2, "significant"),
    ]
    loss = next(r for r in register if r["title"] == "Üye sayısında düşüş")
    assert loss["probability_meaning"].startswith("weekly or daily")
    assert loss["severity_meaning"].startswith("member dissatisfaction")


def test_a_re_scoring_is_an_event_and_the_register_reads_as_of_any_date(office, clock):
    office.risks.import_card(CARD.read_bytes(), by="m.karimi")
    rid = risk_id(PROCESS, "Rekabet edememe")
    clock.now += timedelta(days=60)
    assert office.risks.rescore_risk(rid, 2, 4, reason="price bulletins weekly", by="sg")
    assert not office.risks.rescore_risk(rid, 2, 4, reason="same again", by="sg")  # nothing changes, nothing recorded
    clock.now += timedelta(days=30)
    assert office.risks.rescore_risk(rid, 3, 4, reason="a competitor chamber opened", by="sg")
    now = office.risks.record(rid)
    assert [(s["score"], s["band"]) for s in now["scores"]] == [(16, 2), (8, 3), (12, 3)]
    assert now["trend"] == "rising"
    in_march = datetime(2026, 3, 31, tzinfo=UTC)  # after the first re-scoring (11 March), before the second
    then = next(r for r in office.risks.register_as_of(in_march) if r["id"] == str(rid))
    assert (then["score"], then["trend"]) == (8, "falling")
    assert office.risks.register_as_of(datetime(2026, 1, 1, tzinfo=UTC)) == []  # before the card was imported
    types = [e["type"] for e in office.event_history(rid)]
    assert types == ["crm.plan.risk.registered.v1", "crm.plan.risk.rescored.v1", "crm.plan.risk.rescored.v1"]


def test_a_score_outside_one_to_five_is_refused_and_nothing_is_recorded(office):
    office.risks.import_card(CARD.read_bytes(), by="m.karimi")
    rid = risk_id(PROCESS, "Rekabet edememe")
    with pytest.raises(InvalidInput, match="1 to 5"):
        office.risks.rescore_risk(rid, 6, 4, reason=None, by="sg")
    assert len(office.event_history(rid)) == 1


def test_the_same_risk_twice_in_one_process_is_a_conflict(office):
    office.risks.register_risk(process="P", title="Cevapsız çağrılar", probability=3, severity=4, by="sg")
    with pytest.raises(DomainError, match="already"):
        office.risks.register_risk(process="P", title="Cevapsız  çağrılar", probability=1, severity=1, by="sg")


def test_revising_texts_keeps_the_score(office):
    rid = office.risks.register_risk(process="P", title="R", probability=3, severity=4, by="sg", area="Üye")
    assert office.risks.revise_risk(rid, by="sg", control_record="Denetim kayıtları", area=None)
    record = office.risks.record(rid)
    assert (record["area"], record["control_record"], record["score"]) == ("Üye", "Denetim kayıtları", 12)
    assert not office.risks.revise_risk(rid, by="sg", control_record="Denetim kayıtları")


def test_a_measure_opens_one_corrective_action_through_the_outbox_even_when_delivered_twice(office, tmp_path, clock):
    rid = office.risks.register_risk(process=PROCESS, title="Üye sayısında düşüş", probability=5, severity=4, by="sg")
    source_ref = office.risks.request_action(rid, "Kümelenme çalışmaları", unit="member_relations", by="sg")
    sent: list[dict] = []

    def open_action(request: dict) -> str:
        sent.append(request)
        return "a-1"

    engine = create_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    outbox = RiskActions(office, engine, open_action, clock)
    outbox.follower.catch_up()
    outbox.follower.reset()  # the same notifications delivered again, as after a lost position
    outbox.follower.catch_up()
    assert len(sent) == 1
    assert sent[0]["source_kind"] == "risk" and sent[0]["source_ref"] == source_ref
    assert sent[0]["unit"] == "member_relations"
    assert sent[0]["title"] == "Risk: Üye sayısında düşüş: Kümelenme çalışmaları"
    assert outbox.delivered(str(rid)) == [{"source_ref": source_ref, "action_id": "a-1", "refused": None}]


def test_while_the_actions_service_is_down_the_request_waits_and_one_refused_is_kept_with_its_reason(
    office, tmp_path, clock
):
    rid = office.risks.register_risk(process="P", title="R", probability=2, severity=2, by="sg")
    office.risks.request_action(rid, "first", unit=None, by="sg")
    answers = [ActionNotDelivered("down"), ActionRefused("unit unknown")]

    def open_action(request: dict) -> str:
        raise answers.pop(0)

    outbox = RiskActions(office, create_engine(f"sqlite:///{tmp_path / 'outbox.db'}"), open_action, clock)
    with pytest.raises(ActionNotDelivered):
        outbox.follower.catch_up()
    assert outbox.delivered(str(rid)) == []
    outbox.follower.catch_up()
    assert outbox.delivered(str(rid))[0]["refused"] == "unit unknown"


def test_the_request_the_outbox_sends_is_one_the_actions_service_accepts_once(
    office, settings, tmp_path, clock, token_store
):
    """The outbox's body against the actions service's real internal door (in process), delivered twice."""
    from fastapi.testclient import TestClient

    from services.actions.main import create_app as create_actions
    from shared.auth import Role

    token = token_store.create("plan", Role.SERVICE)
    actions = TestClient(create_actions(settings, relay=False))
    answers: list[int] = []

    def open_action(request: dict) -> str:
        response = actions.post("/internal/actions", json=request, headers={"Authorization": f"Bearer {token}"})
        answers.append(response.status_code)
        return str(response.json()["id"])

    rid = office.risks.register_risk(process=PROCESS, title="Üye sayısında düşüş", probability=5, severity=4, by="sg")
    office.risks.request_action(rid, "Kümelenme ve kooperatifleşme çalışmaları " * 10, unit="member_relations", by="sg")
    engine = create_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    outbox = RiskActions(office, engine, open_action, clock)
    outbox.follower.catch_up()
    with engine.begin() as conn:  # as if the outbox's own transaction was lost after the action was opened
        conn.execute(delivered.delete())
    outbox.follower.reset()
    outbox.follower.catch_up()
    assert answers == [201, 200]  # the second delivery finds the action opened by the first
    assert outbox.delivered(str(rid))[0]["refused"] is None
