"""The strategic plan as read from the seed's export (tests/plan/fixtures/strategic_plan_2024.tsv, a copy of
`001_*`), its cross-check, and its versions."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.plan.application import PlanOffice
from services.plan.domain import cross_check, parse_plan, turkish_number
from shared.errors import InvalidInput

SEED = Path(__file__).parent / "fixtures" / "strategic_plan_2024.tsv"
AT = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan():
    return parse_plan(SEED.read_text(encoding="utf-8"))


def activity(plan, key):
    return next(a for a in plan["activities"] if a["key"] == key)


@pytest.mark.parametrize(
    ("cell", "value"),
    [("13.000", 13000), ("1.271", 1271), ("700", 700), ("0", 0), ("-", None), ("", None), ("2,5", 2.5)],
)
def test_turkish_numbers_use_dots_for_thousands_and_a_dash_for_none(cell, value):
    assert turkish_number(cell) == value


def test_a_cell_that_is_no_number_is_refused_by_the_number_reader():
    with pytest.raises(ValueError):
        turkish_number("X")


def test_the_seed_reads_as_three_aims_thirteen_targets_and_sixty_four_activities(plan):
    assert plan["year"] == 2024
    assert [a["code"] for a in plan["aims"]] == ["1", "2", "3"]
    assert [t["code"] for t in plan["targets"]] == [
        "1.1", "1.2", "1.3", "1.4", "1.5", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "3.4", "3.5",
    ]  # fmt: skip
    assert len(plan["activities"]) == 64
    assert plan["problems"] == []


def test_an_activity_keeps_its_process_indicator_targets_schedule_unit_record_and_cost(plan):
    f = activity(plan, "F.1.1.5")
    assert (f["process"], f["target"], f["line"]) == ("P.1.3", "1.1", 15)
    assert f["title"] == "Mali ve Finansal Konularda Eğitim Düzenlemek (Yönetici ve Personel)"
    assert (f["indicator"], f["four_year"], f["year"]) == ("Eğitim Sayısı", 4, 1)
    assert f["months"] == [4, 5, 6, 7, 8]
    assert (f["unit"], f["record"]) == (
        "Kalite Akreditasyon",
        "F.014 Eğitim / Etkinlik Planı- F.30 Eğitim/Etkinlik Katılım Formu",
    )
    assert (f["cost"]["four_year"], f["cost"]["year"], f["cost"]["line"]) == (29000, 7000, 16)


def test_a_dash_on_the_cost_line_means_no_cost(plan):
    assert (activity(plan, "F.1.1.1")["cost"]["four_year"], activity(plan, "F.1.1.1")["cost"]["year"]) == (None, None)


def test_a_code_written_with_a_space_after_F_is_the_same_code(plan):
    assert activity(plan, "F.2.1.1")["title"] == "Üye Memnuniyet Ve Beklenti Anketi yapmak"


def test_the_schedule_typed_on_the_cost_line_is_the_activity_s_schedule_when_its_own_line_has_none(plan):
    visits = activity(plan, "F.2.1.3")
    assert visits["months"] == list(range(1, 13)) and visits["schedule_from_cost_line"]
    assert activity(plan, "F.2.2.1")["months"] == [10, 11, 12]
    assert not activity(plan, "F.1.1.3")["schedule_from_cost_line"]


def test_an_x_past_december_pushes_unit_and_record_right_and_is_still_read(plan):
    f = activity(plan, "F.1.5.3")
    assert f["marks_past_december"] == 1
    assert f["unit"] == "Kalite Akreditasyon"
    assert f["record"].startswith("F.03 Onaylı Tedarikçi Listesi")


def test_a_code_used_twice_is_kept_twice_the_later_one_keyed_apart(plan):
    first, second = activity(plan, "F.2.1.3"), activity(plan, "F.2.1.3#2")
    assert first["title"] == "Üye Ziyaretleri Yapmak" and first["line"] == 96
    assert second["title"] == "En Çok İhracat Yapan Üyeyi Ödüllendirmek" and second["line"] == 100


def test_each_target_keeps_its_stated_totals_and_its_review_and_report_frequencies(plan):
    t = plan["targets"][0]
    assert t["stated"] == {
        "activities_four_year": 24,
        "activities_year": 6,
        "activities_line": 19,
        "cost_four_year": 57000,
        "cost_year": 13200,
        "cost_line": 20,
    }
    assert t["review_frequency"] == "3 ayda 1 kez AİK ve YGG toplantısında"
    assert t["monitoring_frequency"] == "3 Aya 1 Sorumlu Birim tarafından"
    assert t["strategy"].startswith("Odanın fiziksel ve mali altyapısını")


def test_the_repeated_aim_heading_is_kept_with_both_titles(plan):
    assert plan["aims"][2]["titles"] == [
        "ÜYELERİN REKABET GÜÇLERİNİN ARTTIRILMASI VE SÜRDÜRÜLEBİLİR İŞ HAYATINA YÖNELİK AMAÇLAR",
        "POLİTİKA TEMSİL VE LOBİCİLİK ÇALIŞMALARI YAPMAK",
    ]


def test_a_file_without_any_activity_is_refused():
    with pytest.raises(InvalidInput, match="no activity"):
        parse_plan("name,phone\nAli,0913\n")


def test_a_line_that_is_none_of_the_plan_s_rows_is_reported_not_refused():
    text = SEED.read_text(encoding="utf-8") + "\nsomething else\n"  # the seed's 211 lines end without a newline
    findings = cross_check(parse_plan(text))
    assert [f["line"] for f in findings if f["kind"] == "unreadable_line"] == [212]


# The seed's mismatches, each computed by hand from the file's rows:
#  1.2 (line 37/38): activities 12+14+4+4+11+4 = 49 four-year (stated 45), 3+3+1+1+3+1 = 12 this year (stated 11);
#      cost 22.500+21.500+700+26.000+10.500+42.500 = 123.700 (stated 81.200),
#      5.500+5.000+150+6.000+2.500+2.500 = 21.650 (stated 19.150).
#  1.3 (line 56): cost 44.000+900+1.100+2.600+6.000+0 = 54.600 (stated 53.500), 10.000+200+250+600+1.000 = 12.050
#      (stated 11.800); the activities 4+48+0+4+3+3 = 62 and 1+12+0+1+1+1 = 16 agree.
#  1.4 (line 72): cost this year 150+1.000+2.500+2.500+5.000 = 11.150 (stated 11.100); four-year 49.200 agrees.
#  1.5 (line 85): activities 4+4+4+4 = 16 (stated 12), 1+1+1+1 = 4 (stated 3); costs 100+17.000 = 17.100 and
#      20+4.000 = 4.020 agree.
#  2.3 (line 130/131): activities 18+8+8+2 = 36 (stated 44); this year 4+2+2+2 = 10 agrees;
#      cost 28.500+21.000+7.000+1.000 = 57.500 (stated 60.500); this year 6.000+4.000+1.500+1.000 = 12.500 agrees.
#  3.3 (line 186/187): activities 3+2+8+4+3+21+4 = 45 (stated 42), 1+1+2+1+1+3+1 = 10 (stated 9);
#      cost 105.000+30.000+10.000+85.000+105.000+9.250+26.000 = 370.250 (stated 265.250),
#      25.000+10.000+2.000+20.000+25.000+750+6.000 = 88.750 (stated 63.750).
#  Every other target agrees, e.g. 2.1: 4+10+1.250+3+4 = 1.271 and 1+2+150+1+1 = 155, cost 118.500 and 27.000.
SEED_MISMATCHES = [
    ("1.2", "activities_four_year", 45, 49, 37),
    ("1.2", "activities_year", 11, 12, 37),
    ("1.2", "cost_four_year", 81200, 123700, 38),
    ("1.2", "cost_year", 19150, 21650, 38),
    ("1.3", "cost_four_year", 53500, 54600, 56),
    ("1.3", "cost_year", 11800, 12050, 56),
    ("1.4", "cost_year", 11100, 11150, 72),
    ("1.5", "activities_four_year", 12, 16, 85),
    ("1.5", "activities_year", 3, 4, 85),
    ("2.3", "activities_four_year", 44, 36, 130),
    ("2.3", "cost_four_year", 60500, 57500, 131),
    ("3.3", "activities_four_year", 42, 45, 186),
    ("3.3", "activities_year", 9, 10, 186),
    ("3.3", "cost_four_year", 265250, 370250, 187),
    ("3.3", "cost_year", 63750, 88750, 187),
]


def test_the_seed_s_mismatched_totals_are_listed_exactly(plan):
    found = [
        (f["target"], f["figure"], f["stated"], f["computed"], f["line"])
        for f in cross_check(plan)
        if f["kind"] == "total_mismatch"
    ]
    assert found == SEED_MISMATCHES


def test_the_seed_s_duplicate_and_misplaced_codes_are_listed_with_their_lines(plan):
    findings = cross_check(plan)
    assert [(f["code"], f["line"], f["lines"]) for f in findings if f["kind"] == "duplicate_code"] == [
        ("F.2.1.3", 100, [96, 100]),
        ("F.1.3.2", 140, [45, 140]),  # F.1.3.2 of target 1.3 again, under target 3.1
    ]
    assert [(f["code"], f["target"], f["line"]) for f in findings if f["kind"] == "misplaced_code"] == [
        ("F.1.3.2", "3.1", 140)
    ]


def test_the_seed_s_marks_on_cost_lines_are_listed_by_line(plan):
    lines = [f["line"] for f in cross_check(plan) if f["kind"] == "marks_on_cost_line"]
    assert lines == [44, 64, 68, 78, 80, 82, 84, 93, 95, 97, 99, 101, 109, 111, 113, 115, 145, 161, 163, 165, 183, 193, 195, 197]  # fmt: skip


def test_every_finding_names_its_line(plan):
    assert all(isinstance(f["line"], int) for f in cross_check(plan))


# -- versions -------------------------------------------------------------------------------------------------
def test_importing_the_same_plan_twice_records_one_version():
    office = PlanOffice(clock=lambda: AT)
    first = office.import_plan(SEED.read_bytes(), by="sg", source_name="plan.tsv")
    again = office.import_plan(SEED.read_bytes().replace(b"\n", b"\r\n"), by="sg")
    assert (first.created, first.version) == (True, 1)
    assert (again.created, again.version) == (False, 1)
    assert len(office.history()) == 1


def test_a_revised_plan_is_a_new_version_and_the_earlier_one_is_kept():
    office = PlanOffice(clock=lambda: AT)
    office.import_plan(SEED.read_bytes(), by="sg")
    # The unit corrects target 1.2's stated four-year activity total (45 → 49).
    revised = SEED.read_text(encoding="utf-8").replace("Toplam Faaliyet\t\t\t45\t11", "Toplam Faaliyet\t\t\t49\t12")
    result = office.import_plan(revised, by="m.karimi", source_name="plan-rev1.tsv")
    assert (result.created, result.version) == (True, 2)
    assert [v["number"] for v in office.versions()] == [1, 2]
    assert [v["in_force"] for v in office.versions()] == [False, True]
    assert ("1.2", "activities_four_year") in {(f["target"], f.get("figure")) for f in office.check(1)}
    assert ("1.2", "activities_four_year") not in {(f["target"], f.get("figure")) for f in office.check()}
    assert [e["type"] for e in office.history()] == [
        "crm.plan.strategic_plan.imported.v1",
        "crm.plan.strategic_plan.revised.v1",
    ]
    assert office.history()[1]["data"]["by"] == "m.karimi"


def test_a_plan_saved_by_a_turkish_windows_spreadsheet_is_read_too():
    office = PlanOffice(clock=lambda: AT)
    result = office.import_plan(SEED.read_text(encoding="utf-8").encode("cp1254"), by="sg")
    assert (
        office.version(result.version)["content"]["targets"][0]["title"]
        == "FİZİKSEL VE FİNANSAL KAYNAKLARI GELİŞTİRMEK"
    )
