"""The periods of the complaint reports: the Iranian chamber reports on Solar Hijri half-years (Farvardin–Shahrivar,
Mehr–Esfand) and years, the Turkish chamber on Gregorian ones (January–June, July–December). A period runs from
local midnight of its first day to local midnight after its last day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import jdatetime

from shared.problems import InvalidInput

SIX_MONTHLY = "six_monthly"
YEARLY = "yearly"
YEARS = {"IR": (1300, 1499), "TR": (1900, 2199)}


@dataclass(frozen=True)
class Period:
    report: str  # six_monthly | yearly
    chamber: str  # IR | TR
    year: int  # Solar Hijri for IR, Gregorian for TR
    half: int | None
    first_day: date  # Gregorian, local
    end_day: date  # the day after the last (Gregorian, local)
    tz: tzinfo = field(compare=False)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Exclusive: local midnight after the last day."""
        return datetime.combine(self.end_day, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    def previous_year(self) -> Period:
        return year_period(self.chamber, self.year - 1, self.tz)

    def halves(self) -> list[Period]:
        return [half_year(self.chamber, self.year, h, self.tz) for h in (1, 2)]


def _check_year(chamber: str, year: int) -> None:
    if chamber not in YEARS:
        raise ValueError(f"unknown chamber {chamber!r}: IR or TR")
    low, high = YEARS[chamber]
    if not low <= year <= high:
        calendar = "Solar Hijri" if chamber == "IR" else "Gregorian"
        raise InvalidInput(f"year {year} is not a {calendar} year this chamber reports on ({low}-{high})")


def _month_start(chamber: str, year: int, month: int) -> date:
    """The first day of a month of the chamber's calendar, as a Gregorian date; month 13 is the next year's first."""
    if month == 13:
        year, month = year + 1, 1
    if chamber == "IR":
        return jdatetime.date(year, month, 1).togregorian()
    return date(year, month, 1)


def half_year(chamber: str, year: int, half: int, tz: tzinfo) -> Period:
    """The half-year of the six-monthly report: Farvardin–Shahrivar / Mehr–Esfand, or January–June / July–December."""
    _check_year(chamber, year)
    if half not in (1, 2):
        raise InvalidInput(f"half {half} is not 1 or 2")
    first = 1 if half == 1 else 7
    return Period(
        SIX_MONTHLY, chamber, year, half, _month_start(chamber, year, first), _month_start(chamber, year, first + 6), tz
    )


def year_period(chamber: str, year: int, tz: tzinfo) -> Period:
    _check_year(chamber, year)
    return Period(YEARLY, chamber, year, None, _month_start(chamber, year, 1), _month_start(chamber, year, 13), tz)
