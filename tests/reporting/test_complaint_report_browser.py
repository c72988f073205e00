"""The printed six-monthly report as Chromium lays it out for A4: the review meeting's agenda table keeps within the
page, its short columns (reference, dates, durations) as wide as their content, the subject taking the rest."""

from __future__ import annotations

from services.reporting import complaint_reports as R
from tests.browser import screenshot
from tests.reporting.complaint_story import tehran
from tests.reporting.test_complaint_reports import ORGANISATION, envelopes, model, project, report, story  # noqa: F401

A4_CONTENT_PX = round((210 - 2 * 14) / 25.4 * 96)  # the page less its margins, at CSS pixels


def test_the_agenda_table_fits_the_page_with_columns_sized_to_their_content(story, model, clock, page) -> None:  # noqa: F811
    mark = story.desk.recorder.max_notification_id()
    clock.now = tehran(2026, 6, 20, 9, 0)
    story.desk.register_complaint(
        channel="in_person",
        kind="complaint",
        by="z.rahimi",
        description="شماره‌پیگیری‌درگاه‌پرداخت‌" * 6 + " " + "the payment gateway refused the card again " * 4,
        phone="09131234567",
    )
    project(model, envelopes(story.desk, mark))
    document = R.render_html(report(story, model), story.calendar, ORGANISATION)
    page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1100})
    page.emulate_media(media="print")
    page.set_content(document)
    sizes = page.evaluate(
        """() => {
        const t = document.querySelector('table.agenda');
        const heads = [...t.querySelectorAll('thead th')].map(th => th.getBoundingClientRect().width);
        const rows = [...t.querySelectorAll('tbody tr')];
        const text = td => { const r = document.createRange(); r.selectNodeContents(td); return r.getBoundingClientRect().width; };
        const widest = heads.map((_, i) => Math.max(...rows.map(tr => text(tr.children[i]))));
        const overflow = Math.max(...[...t.querySelectorAll('tbody td')].map(td => td.scrollWidth - td.clientWidth));
        return {table: t.getBoundingClientRect().width, body: document.body.clientWidth, heads, widest, overflow};
    }"""
    )
    screenshot(page, "complaint-report-agenda-fa")
    assert sizes["table"] <= sizes["body"] <= A4_CONTENT_PX  # within the page
    assert sizes["overflow"] <= 0  # no cell's text runs out of it
    heads, widest = sizes["heads"], sizes["widest"]
    # Codes, dates and durations: as wide as their widest entry and its padding (2 × 1.8 mm), no more and never wrapped.
    for column in (0, 3, 7):  # reference, received on, open for
        assert widest[column] <= heads[column] <= widest[column] + 16, (column, heads[column], widest[column])
    # The subject takes what is left: the widest of the columns whose text wraps.
    subject = heads[4]
    assert subject == max(heads[1], heads[2], heads[4], heads[5], heads[6])
    assert subject > 0.2 * sizes["table"]
