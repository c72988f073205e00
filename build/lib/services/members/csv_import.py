"""Import of the member database from a CSV file (a spreadsheet export of form ME-FR-03-01-01).

UTF-8 with or without a byte-order mark, comma- or tab-separated, header on the first line:

    membership_number, kind (company|person), name, status (active|suspended|ended, default active),
    trade_group, field_of_activity, products, import_countries, export_countries,
    contact_name, contact_role, phones, email, address, preferred_language (fa|tr|en|ar), status_reason

List cells (products, countries, phones) are separated by ";" (or the Arabic "؛"). More contact persons go in
contact2_name / contact2_role / contact2_phones, contact3_... Persian and Arabic digits are accepted everywhere.
Every row that cannot be imported is reported with its line number and the reason; the others are imported.
Importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from services.members import normalise
from services.members.application import (
    ImportReport,
    MemberDirectory,
    MemberRow,
    contact,
    countries,
    multiline_text,
    parse_kind,
    parse_status,
    text,
    text_list,
)
from services.members.domain import DETAIL_FIELDS
from shared.problems import InvalidInput
from shared.validation import control_character, describe_control

REQUIRED = ("membership_number", "kind", "name")
KNOWN = (
    "membership_number", "kind", "name", "status", "status_reason", "trade_group", "field_of_activity", "products",
    "import_countries", "export_countries", "contact_name", "contact_role", "phones", "email", "address",
    "preferred_language",
)  # fmt: skip
# A member's row needs a few dozen columns; a header of 200,000 once kept the service busy for minutes.
MAX_COLUMNS = 500
# Longer than any honest row (addresses, product lists), far below what would make one row a memory problem.
MAX_LINE_CHARS = 64 * 1024
_CONTACT_N = re.compile(r"^contact(\d+)_(name|role|phones)$")
_LIST_SEP = re.compile(r"[;؛]")


def _cells(value: str | None) -> list[str]:
    return [v.strip() for v in _LIST_SEP.split(value or "") if v.strip()]


def _header(cells: list[str]) -> list[str]:
    return [re.sub(r"\s+", "_", c.replace("\ufeff", "").strip().lower()) for c in cells]


class _Row:
    """One data row being read: values by column, errors gathered so every problem of the row is reported."""

    def __init__(self, values: dict[str, str], region: str):
        self.values = values
        self.region = region
        self.errors: list[tuple[str, str]] = []

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()

    def parse(self, column: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            message = str(exc)
            named = message.startswith((f"{column}:", column.replace("_", " ")))
            self.errors.append((column, message if named else f"{column}: {message}"))
            return None


def _contact_groups(header: list[str]) -> list[tuple[str, str, str]]:
    """(name column, role column, phones column) of each contact person, the first one first."""
    groups = [("contact_name", "contact_role", "phones")]
    numbers = sorted({int(m.group(1)) for h in header if (m := _CONTACT_N.match(h))})
    groups += [(f"contact{n}_name", f"contact{n}_role", f"contact{n}_phones") for n in numbers]
    return groups


def _parsed(content: str, delimiter: str) -> list[tuple[int, list[str]]]:
    """Every record of the file with the number of its first line, read before anything is imported: a file that
    cannot be read (a quote never closed, a cell past the csv module's limit) imports nothing."""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    records = []
    last_line = 0
    try:
        for cells in reader:
            records.append((last_line + 1, cells))
            last_line = reader.line_num
    except csv.Error as exc:
        raise InvalidInput(
            f"the file cannot be read as CSV at line {reader.line_num}: {exc}; nothing was imported"
        ) from None
    return records


def read_rows(data: bytes | str, report: ImportReport, region: str) -> Iterator[MemberRow]:
    """The file's valid rows; every invalid one goes into the report with its line number and reason."""
    if isinstance(data, bytes):
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InvalidInput(f"the file is not UTF-8 text (line {line}); save it as CSV UTF-8") from None
    else:
        content = data.removeprefix("\ufeff")
    first_line = content.split("\n", 1)[0]
    if len(first_line) > MAX_LINE_CHARS:
        raise InvalidInput(f"the header line is longer than {MAX_LINE_CHARS} characters; nothing was imported")
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    if first_line.count(delimiter) >= MAX_COLUMNS:
        raise InvalidInput(f"the header names more than {MAX_COLUMNS} columns; nothing was imported")
    records = _parsed(content, delimiter)
    if not records:
        raise InvalidInput("the file is empty: the first line must name the columns")
    header = _header(records[0][1])
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InvalidInput(f"the header lacks the column(s) {', '.join(missing)}; it has: {', '.join(header)}")
    counts = Counter(header)
    duplicates = sorted(h for h, n in counts.items() if n > 1)
    if duplicates:
        raise InvalidInput(f"the header names these columns twice: {', '.join(duplicates)}")
    report.ignored_columns = [h for h in header if h not in KNOWN and not _CONTACT_N.match(h) and h]
    groups = _contact_groups(header)
    first_line_of: dict[str, int] = {}
    for line, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue  # blank line
        if sum(len(c) for c in cells) > MAX_LINE_CHARS:
            report.rows += 1
            report.reject(line, None, None, f"the row is longer than {MAX_LINE_CHARS} characters")
            continue
        if len(cells) > len(header):
            report.rows += 1
            report.reject(
                line,
                None,
                None,
                f"{len(cells)} cells but the header names {len(header)} columns (a quote or separator out of place?)",
            )
            continue
        row = _Row(dict(zip(header, cells, strict=False)), region)
        for column, cell in row.values.items():
            if (index := control_character(cell)) is not None:
                row.errors.append((column, f"{column}: {describe_control(cell, index)}"))
        number = row.parse("membership_number", normalise.membership_number, row.get("membership_number"))
        if number is not None:
            if number in first_line_of:
                report.rows += 1
                report.reject(
                    line,
                    number,
                    "membership_number",
                    f"duplicate membership number {number} in the file (first on line {first_line_of[number]})",
                )
                continue
            first_line_of[number] = line
        if not row.get("kind"):
            row.errors.append(("kind", "kind: missing (company or person)"))
        details = {
            "kind": row.parse("kind", parse_kind, row.get("kind")) if row.get("kind") else None,
            "name": text(row.get("name")),
            "trade_group": text(row.get("trade_group")),
            "field_of_activity": text(row.get("field_of_activity")),
            "products": text_list(_cells(row.get("products"))),
            "import_countries": row.parse(
                "import_countries", countries, _cells(row.get("import_countries")), "import_countries"
            ),
            "export_countries": row.parse(
                "export_countries", countries, _cells(row.get("export_countries")), "export_countries"
            ),
            "email": row.parse("email", normalise.email, row.get("email")),
            "address": multiline_text(row.get("address")),
            "preferred_language": row.parse("preferred_language", normalise.language, row.get("preferred_language")),
        }
        if not details["name"]:
            row.errors.append(("name", "name: missing (the legal name of a company or the full name of a person)"))
        contacts = []
        for name_col, role_col, phones_col in groups:
            name, role, numbers = row.get(name_col), row.get(role_col), _cells(row.get(phones_col))
            if not (name or numbers):
                continue
            # Numbers without a contact person's name are the member's own (a company's switchboard).
            c = row.parse(phones_col, contact, name or details["name"], numbers, region, role=role, where=phones_col)
            if c is not None:
                contacts.append(c)
        details["contacts"] = contacts
        status = row.parse("status", parse_status, row.get("status"))
        if row.errors:
            report.rows += 1
            columns = ", ".join(dict.fromkeys(c for c, _ in row.errors))
            report.reject(line, number, columns, "; ".join(m for _, m in row.errors))
            continue
        yield MemberRow(
            membership_number=number,
            details={f: details[f] for f in DETAIL_FIELDS},
            status=status,
            status_reason=text(row.get("status_reason")),
            line=line,
        )


def import_csv_bytes(directory: MemberDirectory, data: bytes | str, *, by: str | None = None) -> ImportReport:
    report = ImportReport()
    directory.import_rows(read_rows(data, report, directory.region), by=by, report=report)
    return report


def import_csv(directory: MemberDirectory, path: str | Path, *, by: str | None = None) -> ImportReport:
    """Import a CSV file of members; see the module's docstring for its columns."""
    return import_csv_bytes(directory, Path(path).read_bytes(), by=by)
