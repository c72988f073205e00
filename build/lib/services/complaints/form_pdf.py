"""Form ME-FR-01-01-01 as a PDF for the file, made without a browser: fpdf2 lays the page out and HarfBuzz
(uharfbuzz) shapes the text, so Persian letters join and read right to left with Persian digits and Solar Hijri
dates; Turkish reads left to right. The same words as the HTML print (locales/<lang>.json) and the same facts as
the form view: the particulars, the description, the investigation and the committee when there are any, the
corrective actions, and every step with who took it and when.

The font (Vazirmatn, SIL Open Font License, fonts/OFL.txt) ships with the service: Persian and Turkish letters
both, so the PDF looks the same on any machine and needs no system font or library."""

from __future__ import annotations

from importlib import resources
from typing import Any

from fpdf import FPDF
from fpdf.enums import TableBordersLayout

from services.complaints.printing import persian_digits, value_text
from services.complaints.tracking import texts

FONT = "Vazirmatn"


def _font_path(name: str) -> str:
    return str(resources.files("services.complaints").joinpath("fonts", name))


class _FormPdf(FPDF):
    def __init__(self, language: str, footer_text: str):
        super().__init__(format="A4", unit="mm")
        self.language = language
        self.footer_text = footer_text
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=15)
        self.add_font(FONT, "", _font_path("Vazirmatn-Regular.ttf"))
        self.add_font(FONT, "B", _font_path("Vazirmatn-Bold.ttf"))
        rtl = language == "fa"
        self.set_text_shaping(
            use_shaping_engine=True,
            direction="rtl" if rtl else "ltr",
            script="arab" if rtl else "latn",
            language=language,
        )
        self.align = "R" if rtl else "L"

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, self.shown(f"{self.footer_text} — {self.page_no()}"), align="C")

    def shown(self, value: Any) -> str:
        shown = value_text(value)
        return persian_digits(shown) if self.language == "fa" else shown

    def heading(self, text: str, size: float = 11.5) -> None:
        self.ln(2)
        self.set_font(FONT, "B", size)
        self.multi_cell(0, 7, self.shown(text), align=self.align, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 10)

    def paragraph(self, value: Any) -> None:
        self.set_font(FONT, "", 10)
        self.multi_cell(0, 5.5, self.shown(value), align=self.align, new_x="LMARGIN", new_y="NEXT")

    def rows(self, rows: list[list[Any]], widths: tuple[float, ...], head: list[str] | None = None) -> None:
        """A table whose first column is at the start of the line: the right in Persian."""
        rtl = self.language == "fa"
        if rtl:
            widths = tuple(reversed(widths))
        self.set_font(FONT, "", 9.5)
        with self.table(
            col_widths=widths,
            text_align="RIGHT" if rtl else "LEFT",
            borders_layout=TableBordersLayout.ALL,
            first_row_as_headings=head is not None,
            line_height=5.5,
            padding=1.2,
        ) as table:
            for cells in ([head] if head else []) + rows:
                row = table.row()
                for cell in reversed(cells) if rtl else cells:
                    row.cell(self.shown(cell))
        self.set_font(FONT, "", 10)


def render_form_pdf(form: dict[str, Any], language: str, printed_at_local: str) -> bytes:
    t = texts(language)
    w = t["form"]
    pdf = _FormPdf(language, f"{form['form']} — {form['reference']} — {w['printed']}: {printed_at_local}")
    pdf.set_title(f"{form['form']} {form['reference']}")
    pdf.set_lang(language)
    pdf.add_page()
    pdf.heading(f"{w['title']} ({form['form']})", size=14)
    state = t["states"][form["state"]]
    if form["round"] > 1:
        state += f" — {w['round']} {form['round']}"
    if form["confidential"]:
        state += f" — {w['confidential']}"
    complainant = form["complainant"]
    stakeholders = form["stakeholders"]
    particulars = [
        [w["reference"], form["reference"]],
        [w["state"], state],
        [w["kind"], t["kinds"][form["kind"]]],
        [w["channel"], t["channels"][form["channel"]]],
        [w["received"], form["received_at_local"]],
        [w["occurred"], form["occurred_at_local"]],
        [w["complainant"], complainant.get("name")],
        [w["phone"], complainant.get("phone_raw") or complainant.get("phone")],
        [w["email"], complainant.get("email")],
        [w["member_number"], form["member_number"]],
        [w["unit"], form["unit"]],
        [w["service"], form["service"]],
        [w["stakeholders"], stakeholders["units"] + stakeholders["persons"] + stakeholders["participants"]],
        [w["priority"], form["assessment"]["priority"] if form["assessment"] else None],
        [w["handler"], form["handler"]["name"] if form["handler"] else None],
        [w["outcome"], t["outcomes"][form["outcome"]] if form["outcome"] else None],
    ]
    pdf.rows(particulars, (45, 135))
    pdf.heading(w["description"])
    pdf.paragraph(form["description"])
    if form["investigation"]:
        pdf.heading(w["investigation"])
        for key in ("circumstances", "root_causes", "consequences", "actions_taken"):
            pdf.paragraph(form["investigation"].get(key))
    if form["committee"]:
        pdf.heading(w["committee"])
        pdf.rows(
            [[w["attendees"], form["committee"].get("attendees")], [w["minutes"], form["committee"].get("minutes")]],
            (45, 135),
        )
    if form["corrective_actions"]:
        pdf.heading(f"{w['corrective_actions']} (SY-PR-05-00-02)")
        pdf.rows(
            [[a["id"], a["description"], a["owner"], a["due"], a["status"]] for a in form["corrective_actions"]],
            (18, 82, 30, 25, 25),
        )
    pdf.heading(w["steps"])
    pdf.rows(
        [
            [s["step"], t["steps"].get(s["event_name"], s["title"]), s["by"], s["at_local"], s["details"]]
            for s in form["steps"]
        ],
        (11, 48, 27, 34, 60),
        head=[w["step"], w["steps"], w["who"], w["when"], w["details"]],
    )
    return bytes(pdf.output())
