"""CSV import of the member database on the real SQLite store, and frozen selections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.members.application import MemberDirectory, MemberRow, member_record
from services.members.criteria import Criteria
from services.members.csv_import import import_csv, import_csv_bytes
from services.members.demo import load_members
from services.members.index import MemberIndex
from services.members.main import build_directory, build_index
from shared.problems import InvalidInput

FIXTURE = Path(__file__).parent / "fixtures" / "members.csv"
HEADER = "membership_number,kind,name,status,trade_group,products,export_countries,contact_name,phones,email\n"


@pytest.fixture
def directory(settings, clock) -> Iterator[MemberDirectory]:
    directory = build_directory(settings, clock)
    yield directory
    directory.close()


@pytest.fixture
def index(settings, directory) -> MemberIndex:
    return build_index(settings, directory)


def max_id(directory: MemberDirectory) -> int:
    return directory.recorder.max_notification_id() or 0


def test_the_fixture_starts_with_a_byte_order_mark_and_uses_persian_digits():
    data = FIXTURE.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "۱۰۰۱" in data.decode("utf-8-sig")


def test_every_bad_row_is_reported_with_its_line_and_reason_and_the_good_ones_are_imported(directory):
    report = import_csv(directory, FIXTURE, by="operator")
    rejected = {r.line: (r.membership_number, r.field, r.reason) for r in report.rejected}
    assert sorted(rejected) == [5, 6, 7, 8, 9, 10, 11, 16]
    assert rejected[5][1] == "phones" and "'12345' is not a valid phone number" in rejected[5][2]
    assert rejected[6][1] == "export_countries" and "unknown country 'Atlantis'" in rejected[6][2]
    assert rejected[7] == (
        "1001",
        "membership_number",
        "duplicate membership number 1001 in the file (first on line 2)",
    )
    assert rejected[8][1] == "name" and "missing" in rejected[8][2]
    assert rejected[9][1] == "status" and "'frozen'" in rejected[9][2]
    assert rejected[10][1] == "kind" and "'cooperative'" in rejected[10][2]
    assert rejected[11][1] == "email" and "'not-an-email' is not an e-mail address" in rejected[11][2]
    # Line 12's address spans two lines, line 15 is blank: the line numbers are those of the file.
    assert rejected[16][1] == "preferred_language" and "'de'" in rejected[16][2]
    assert (report.rows, report.created, report.updated, report.unchanged) == (13, 5, 0, 0)

    first = directory.get_member("1001")
    assert first.name == "شرکت فرش دستباف اصفهان"
    assert first.products == ["فرش دستباف", "گلیم"]
    assert first.import_countries == ["CN"] and first.export_countries == ["IQ", "AE", "TR"]
    assert [c.name for c in first.contact_persons] == ["علی رضایی", "مریم احمدی"]
    assert [(p.raw, p.e164, p.kind) for p in first.contact_persons[0].phones] == [
        ("۰۹۱۳ ۱۲۳ ۴۵۶۷", "+989131234567", "mobile"),
        ("(۰۳۱) ۳۶۶۴-۵۰۰۰", "+983136645000", "fixed"),
    ]
    assert directory.get_member("1003").status == "suspended"  # Arabic-Indic digits in the number
    assert directory.get_member("1003").preferred_language == "ar"
    assert directory.get_member("1010").address == "اصفهان، شهرک صنعتی محمودآباد\nخیابان ۱۲، پلاک ۷"
    assert directory.get_member("1011").status == "ended"
    assert directory.get_member("1002").contact_persons[0].phones[0].e164 == "+905321234567"


def test_importing_the_same_file_twice_changes_nothing(directory):
    import_csv(directory, FIXTURE)
    position = max_id(directory)
    assert position == 5
    again = import_csv(directory, FIXTURE)
    assert (again.created, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 5, 8)
    assert max_id(directory) == position


def test_a_changed_row_appends_only_what_changed(directory):
    import_csv_bytes(
        directory, HEADER + "77,company,Ege Gıda,active,مواد غذایی,Fındık;Kuru incir,DE,Ayşe Demir,+90 532 111 22 33,\n"
    )
    report = import_csv_bytes(
        directory,
        HEADER
        + "77,company,Ege Gıda,active,مواد غذایی,Fındık;Kuru incir,DE;IQ,Ayşe Demir,+90 532 111 22 33,satis@ege.example\n",
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    last = directory.history("77")[-1]
    assert last["type"] == "crm.members.member.details_updated.v1"
    assert last["data"]["changes"] == {"export_countries": ["DE", "IQ"], "email": "satis@ege.example"}


def test_a_status_change_in_the_file_takes_the_one_step_the_rules_allow(directory):
    row = "78,person,Mehmet Yılmaz,{status},,,,,,\n"
    import_csv_bytes(directory, HEADER + row.format(status="active"))
    import_csv_bytes(directory, HEADER + row.format(status="suspended"))
    assert directory.get_member("78").status == "suspended"
    import_csv_bytes(directory, HEADER + row.format(status="ended"))
    assert [h["type"].split(".")[3] for h in directory.history("78")] == ["registered", "suspended", "ended"]
    report = import_csv_bytes(directory, HEADER + row.format(status="active"))
    assert report.rejected[0].line == 2 and "only a suspended member can be reinstated" in report.rejected[0].reason


def test_an_ended_member_whose_row_changed_is_rejected_and_nothing_is_written(directory):
    import_csv_bytes(directory, HEADER + "79,company,شرکت الف,ended,,,,,,\n")
    position = max_id(directory)
    report = import_csv_bytes(directory, HEADER + "79,company,شرکت الف ب,ended,,,,,,\n80,company,شرکت ج,active,,,,,,\n")
    assert [(r.line, r.membership_number) for r in report.rejected] == [(2, "79")]
    assert "can no longer change" in report.rejected[0].reason
    assert report.created == 1 and max_id(directory) == position + 1


def test_a_file_without_bom_tab_separated_and_with_extra_contacts(directory):
    data = (
        "membership_number\tkind\tname\tphones\tcontact2_name\tcontact2_role\tcontact2_phones\tnotes\n"
        "90\tcompany\tشرکت پلیمر کویر\t031 3222 1111\tرضا موسوی\tکارشناس صادرات\t0913 222 3333;09133334444\tx\n"
    ).encode()
    report = import_csv_bytes(directory, data)
    assert report.created == 1 and report.ignored_columns == ["notes"]
    contacts = directory.get_member("90").contact_persons
    # Numbers without a contact person's name are the member's own.
    assert [c.name for c in contacts] == ["شرکت پلیمر کویر", "رضا موسوی"]
    assert contacts[1].role == "کارشناس صادرات" and len(contacts[1].phones) == 2


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b"number,name\n1,x\n", r"lacks the column\(s\) membership_number, kind"),
        (b"membership_number,kind,name,name\n", "twice"),
        ("membership_number,kind,name\n1,company,شرکت\n".encode("utf-16"), "not UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_as_a_whole_is_refused_and_nothing_is_imported(directory, data, message):
    with pytest.raises(InvalidInput, match=message):
        import_csv_bytes(directory, data)
    assert max_id(directory) == 0


def test_a_row_with_more_cells_than_the_header_is_rejected(directory):
    report = import_csv_bytes(directory, "membership_number,kind,name\n1,company,شرکت,extra\n2,person,علی\n")
    assert [(r.line, r.reason.split(" ")[0]) for r in report.rejected] == [(2, "4")]
    assert report.created == 1


def test_rows_given_directly_are_deduplicated_too(directory):
    row = MemberRow("5", {"kind": "person", "name": "علی"}, line=3)
    report = directory.import_rows([row, MemberRow("5", {"kind": "person", "name": "علی"}, line=9)])
    assert report.created == 1 and report.rejected[0].line == 9 and "first on line 3" in report.rejected[0].reason


def test_the_demo_members_load_once_and_a_second_run_changes_nothing(directory):
    report = load_members(directory, count=120, seed=7, out=None)
    assert report.created == 120 and not report.rejected
    position = max_id(directory)
    again = load_members(directory, count=120, seed=7, out=None)
    assert again.unchanged == 120 and max_id(directory) == position


# -- selections -----------------------------------------------------------------------------------------------
def test_a_selection_is_frozen_members_added_later_do_not_appear_in_it(directory, index, clock):
    import_csv(directory, FIXTURE)
    selection_id = directory.take_selection("جلسه تخصصی صادرات به عراق", {"country": "عراق"}, by="m.karimi")
    taken = directory.get_selection(selection_id)
    assert taken["criteria"] == {"country": "IQ", "status": "active"}
    assert taken["members"] == ["1001", "1010"]  # 1011 exports to TR only; suspended and ended members excluded

    clock.advance(days=3)
    directory.register_member("2001", {"kind": "company", "name": "شرکت صادراتی تازه", "export_countries": ["IQ"]})
    directory.suspend_member("1001", "عدم تمدید")
    assert directory.get_selection(selection_id)["members"] == ["1001", "1010"]
    # A new selection with the same criteria sees today's members.
    later = directory.get_selection(directory.take_selection("دوباره", {"country": "IQ"}))
    assert later["members"] == ["1010", "2001"]


def test_the_index_and_the_store_scan_resolve_criteria_alike(directory, index):
    load_members(directory, count=150, seed=11, out=None)
    index.catch_up()
    for criteria in [
        Criteria(country="IQ"),
        Criteria(trade_group="فرش"),
        Criteria(product="زعفران", status="active"),
        Criteria(name="شركت", kind="company"),  # Arabic kaf
        Criteria(export_country="TR", import_country="CN"),
        Criteria(field="ريختهگري"),  # Arabic yeh, no ZWNJ: the record has "ریخته‌گری"
        Criteria(language="tr", name="YILMAZ"),
    ]:
        c = criteria.normalised()
        assert index.resolve(c) == sorted(directory._scan(c)), criteria  # noqa: SLF001


def test_the_members_of_a_batch_are_read_at_once_as_each_is_read_alone(directory):
    import_csv(directory, FIXTURE)
    directory.update_member("1001", {"email": "sales@farsh.example"})
    directory.suspend_member("1010", "عدم تمدید")
    directory.erase_member("1011", "the person asked to be forgotten")
    numbers = ["1001", "1002", "1003", "1010", "1011", "9999"]
    found = directory.find_members(numbers)
    assert sorted(found) == ["1001", "1002", "1003", "1010", "1011"]  # 9999 was never registered
    for number, member in found.items():
        assert member_record(member) == member_record(directory.get_member(number))
        assert member.version == directory.get_member(number).version
    assert found["1011"].name == "[erased]" and found["1001"].email == "sales@farsh.example"
