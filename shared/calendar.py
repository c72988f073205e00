"""The chamber's business calendar: working hours, holidays, working-time arithmetic and display.

Deadlines in the procedures are stated in working time ("call the member back within 24 working hours",
"at the end of each working day"), so every service asks this module instead of doing date arithmetic itself.

Pure logic: no I/O and no clock reads. Callers pass the instants they care about (from an injected clock), so
tests are deterministic. Instants are always time-zone aware; results are returned in UTC, which is what the
event stores keep. Local time only exists here, to lay out the working day and to display instants.

Time-zone handling: a working interval such as 08:00-16:00 is a *wall-clock* interval of one local date. It is
built for each date separately and converted to UTC right away; all arithmetic (durations, comparisons) is then
done in UTC. Arithmetic on aware datetimes that share a tzinfo is wall-clock arithmetic in Python and would be
wrong by an hour across a daylight-saving change; doing it in UTC avoids that.
"""

from __future__ import annotations

import datetime as _dt
import functools
import zoneinfo
from collections.abc import Iterator

import holidays
import jdatetime

__all__ = [
    "CLOSURE_REASONS",
    "IRAN",
    "SCHEDULE_PRESETS",
    "TURKEY",
    "BusinessCalendar",
    "CalendarConfig",
    "normalise_hours",
]

from shared.calendar_config import (
    _MAX_CLOSED_DAYS,
    _PRESETS,
    CHAMBER_HOLIDAY_NAME,
    CLOSURE_REASONS,
    IRAN,
    SCHEDULE_PRESETS,
    TURKEY,
    UTC,
    WEEKDAYS,
    CalendarConfig,
    _format_clock,
    _parse_clock,
    _parse_interval,
    normalise_hours,
)


def _require_aware(t: _dt.datetime, what: str) -> None:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"{what} must be a time-zone aware datetime, got naive {t.isoformat()}")


class BusinessCalendar:
    """Working days, working intervals and working-time arithmetic for one chamber."""

    def __init__(self, config: CalendarConfig):
        self.config = config
        self.tz = zoneinfo.ZoneInfo(config.timezone)
        # weekday index (Monday = 0) -> sorted [(start, end)] minutes after midnight
        self._hours: dict[int, list[tuple[int, int]]] = {
            WEEKDAYS.index(name): [_parse_interval(text) for text in intervals]
            for name, intervals in config.hours.items()
            if intervals
        }
        self._half_day_closing = (
            None if config.half_day_closing is None else _parse_clock(config.half_day_closing, allow_24=False)
        )
        self._closed = frozenset(config.closed_dates)
        self._open = frozenset(config.open_dates)
        # year -> (public holidays {date: name}, half days {date: name}); filled on first use of a year.
        self._holiday_years: dict[int, tuple[dict[_dt.date, str], dict[_dt.date, str]]] = {}
        # Weekly hours put in force from a date (ascending); before the first, `config.hours` apply.
        self._schedules: list[tuple[_dt.date, dict[int, list[tuple[int, int]]]]] = []
        # Days closed at run time (heat, pollution, mourning) -> the reason given.
        self._closures: dict[_dt.date, str] = {}
        # Day layouts are asked for again and again by the arithmetic below; they depend only on the date (and on
        # the schedules and closures, which clear this cache when they change).
        self._utc_intervals = functools.lru_cache(maxsize=4096)(self._compute_utc_intervals)
        # A date's Solar Hijri text depends on the date alone; jdatetime asks the process's locale at every date it
        # makes, which was half the CPU of a queue page (two dates per call shown).
        self._solar_hijri_text = functools.lru_cache(maxsize=4096)(_solar_hijri_text)
        # Moves at every change of the working time (a schedule, a closure): what a caller kept computed from the
        # working time (the queue pages' deadlines) is good while it has not moved.
        self.revision = 0

    # ------------------------------------------------------------------ changes entered at run time

    def set_schedule(self, effective_from: _dt.date, hours: dict[str, list[str]]) -> None:
        """Put weekly `hours` in force from `effective_from` (until a later schedule); replaces one of that date."""
        parsed = {
            WEEKDAYS.index(name): [_parse_interval(text) for text in intervals]
            for name, intervals in normalise_hours(hours).items()
            if intervals
        }
        self._schedules = sorted(
            [(d, h) for d, h in self._schedules if d != effective_from] + [(effective_from, parsed)],
            key=lambda item: item[0],
        )
        self._utc_intervals.cache_clear()
        self.revision += 1

    def close(self, d: _dt.date, reason: str) -> None:
        """Close day `d` (heat, pollution, mourning...): no working time on it."""
        self._closures[d] = reason
        self._utc_intervals.cache_clear()
        self.revision += 1

    def copy(self) -> BusinessCalendar:
        """The calendar as it stands now, apart from later changes to this one (to compare before and after)."""
        other = BusinessCalendar(self.config)
        other._schedules = list(self._schedules)
        other._closures = dict(self._closures)
        return other

    def schedules(self) -> list[tuple[_dt.date, dict[str, list[str]]]]:
        return [
            (d, {WEEKDAYS[w]: [f"{_format_clock(a)}-{_format_clock(b)}" for a, b in iv] for w, iv in h.items()})
            for d, h in self._schedules
        ]

    def closures(self) -> dict[_dt.date, str]:
        return dict(sorted(self._closures.items()))

    def _hours_on(self, d: _dt.date) -> dict[int, list[tuple[int, int]]]:
        hours = self._hours
        for effective_from, scheduled in self._schedules:
            if effective_from > d:
                break
            hours = scheduled
        return hours

    def working_hours_per_day(self) -> float:
        """The length of the chamber's usual working day (the most common among its weekdays), in hours: the
        unit in which long working durations are told as days and hours."""
        lengths = [sum(end - start for start, end in intervals) / 60 for intervals in self._hours.values()]
        if not lengths:
            return 8.0
        return max(sorted(set(lengths)), key=lengths.count)

    @classmethod
    def preset(cls, name: str) -> BusinessCalendar:
        key = name.strip().upper()
        if key not in _PRESETS:
            raise ValueError(f"unknown calendar preset {name!r}: use one of {', '.join(_PRESETS)}")
        return cls(_PRESETS[key])

    # ------------------------------------------------------------------ holidays

    def _holidays_of_year(self, year: int) -> tuple[dict[_dt.date, str], dict[_dt.date, str]]:
        cached = self._holiday_years.get(year)
        if cached is None:
            public: dict[_dt.date, str] = {}
            half_days: dict[_dt.date, str] = {}
            if self.config.country:
                public = dict(holidays.country_holidays(self.config.country, years=year))
                country_class = type(holidays.country_holidays(self.config.country, years=[]))
                if holidays.HALF_DAY in country_class.supported_categories:
                    half_days = dict(
                        holidays.country_holidays(self.config.country, years=year, categories=(holidays.HALF_DAY,))
                    )
            cached = (public, half_days)
            # Plain assignment: two threads racing here both compute the same value, which is harmless.
            self._holiday_years[year] = cached
        return cached

    def holiday_name(self, d: _dt.date) -> str | None:
        """Name of the holiday on d, or None if d is not a holiday (open_dates lift public holidays)."""
        if d in self._open and d not in self._closures:
            return None
        public_name = self._holidays_of_year(d.year)[0].get(d)
        if public_name is not None:
            return public_name
        if d in self._closures:
            return f"{CHAMBER_HOLIDAY_NAME}: {self._closures[d]}"
        if d in self._closed:
            return CHAMBER_HOLIDAY_NAME
        return None

    def is_holiday(self, d: _dt.date) -> bool:
        return self.holiday_name(d) is not None

    def is_half_day(self, d: _dt.date) -> bool:
        """True on an official half-day holiday (work stops at half_day_closing), unless the chamber opened it."""
        if self._half_day_closing is None or d in self._open or self.is_holiday(d):
            return False
        return d in self._holidays_of_year(d.year)[1]

    # ------------------------------------------------------------------ working days

    def _local_minutes(self, d: _dt.date) -> list[tuple[int, int]]:
        """The day's working intervals as minutes after local midnight, after holidays and half days."""
        intervals = self._hours_on(d).get(d.weekday(), [])
        if not intervals or self.is_holiday(d):
            return []
        if self.is_half_day(d):
            cut = self._half_day_closing
            if cut is not None:
                intervals = [(s, min(e, cut)) for s, e in intervals if s < cut]
        return intervals

    def _compute_utc_intervals(self, d: _dt.date) -> tuple[tuple[_dt.datetime, _dt.datetime], ...]:
        midnight = _dt.datetime.combine(d, _dt.time(0, 0), tzinfo=self.tz)
        result: list[tuple[_dt.datetime, _dt.datetime]] = []
        for start_min, end_min in self._local_minutes(d):
            # Adding a timedelta to an aware datetime moves the wall clock, which is exactly "HH:MM on date d"
            # (24:00 becomes the next midnight). Only then is it converted to UTC, so the offset in force at
            # that wall time is used. A wall time skipped by a spring-forward change maps to the instant the
            # clocks show it after the jump; an ambiguous one takes its first occurrence (fold=0).
            start = (midnight + _dt.timedelta(minutes=start_min)).astimezone(UTC)
            end = (midnight + _dt.timedelta(minutes=end_min)).astimezone(UTC)
            if end <= start:  # an interval swallowed entirely by a clock change holds no working time
                continue
            if result and start < result[-1][1]:  # a clock change made two intervals overlap: merge them
                start = result[-1][0]
                end = max(end, result.pop()[1])
            result.append((start, end))
        return tuple(result)

    def is_working_day(self, d: _dt.date) -> bool:
        return bool(self._utc_intervals(d))

    def working_intervals(self, d: _dt.date) -> list[tuple[_dt.datetime, _dt.datetime]]:
        """Working intervals of local date d as aware datetimes in the chamber's time zone; [] when closed."""
        return [(s.astimezone(self.tz), e.astimezone(self.tz)) for s, e in self._utc_intervals(d)]

    def end_of_working_day(self, d: _dt.date) -> _dt.datetime | None:
        """When the working day d ends (end of its last interval), in UTC; None if d is not a working day."""
        intervals = self._utc_intervals(d)
        return intervals[-1][1] if intervals else None

    def working_day_of(self, t: _dt.datetime) -> _dt.date:
        """The chamber's local date of instant t."""
        _require_aware(t, "t")
        return t.astimezone(self.tz).date()

    def _check_has_working_time(self) -> None:
        if not self._hours and not any(h for _, h in self._schedules):
            raise ValueError("the calendar has no working hours on any weekday, so there is no working time")

    def _days(self, start: _dt.date, step: int) -> Iterator[_dt.date]:
        """start, start+step, ... forever; the callers stop themselves or give up via _MAX_CLOSED_DAYS."""
        one = _dt.timedelta(days=step)
        d = start
        while True:
            yield d
            d += one

    def next_working_day(self, d: _dt.date) -> _dt.date:
        """The first working day strictly after d."""
        return self._nearest_working_day(d, +1)

    def previous_working_day(self, d: _dt.date) -> _dt.date:
        """The last working day strictly before d."""
        return self._nearest_working_day(d, -1)

    def _nearest_working_day(self, d: _dt.date, step: int) -> _dt.date:
        self._check_has_working_time()
        days = self._days(d, step)
        next(days)  # strictly after / before d
        for closed_run, candidate in enumerate(days):
            if self.is_working_day(candidate):
                return candidate
            if closed_run >= _MAX_CLOSED_DAYS:
                break
        raise ValueError(f"no working day within {_MAX_CLOSED_DAYS} days of {d.isoformat()}")

    # ------------------------------------------------------------------ working-time arithmetic

    def add_working_time(self, start: _dt.datetime, duration: _dt.timedelta) -> _dt.datetime:
        """The UTC instant at which `duration` of working time has elapsed since `start`.

        Only time inside working intervals counts; starting outside working hours counts from the next opening.
        When the duration runs out exactly at the end of an interval, that end is returned (not the next
        opening). A zero duration returns `start` unchanged (in UTC). A negative duration counts backwards and
        returns the latest instant from which `-duration` of working time reaches `start`.
        """
        _require_aware(start, "start")
        start = start.astimezone(UTC)
        if duration == _dt.timedelta(0):
            return start
        self._check_has_working_time()

        forward = duration > _dt.timedelta(0)
        remaining = abs(duration)
        closed_run = 0
        # Walk whole days; inside a day, walk its few intervals. Each interval either absorbs the rest of the
        # duration (done) or is used up entirely, so the cost is proportional to the number of days spanned.
        for d in self._days(self.working_day_of(start), +1 if forward else -1):
            intervals = self._utc_intervals(d)
            if not intervals:
                closed_run += 1
                if closed_run > _MAX_CLOSED_DAYS:
                    raise ValueError(f"no working time within {_MAX_CLOSED_DAYS} days of {start.isoformat()}")
                continue
            closed_run = 0
            for lo, hi in intervals if forward else reversed(intervals):
                # Clip the interval to the part on the right side of `start`.
                if forward:
                    lo = max(lo, start)
                else:
                    hi = min(hi, start)
                if hi <= lo:
                    continue
                available = hi - lo
                if remaining <= available:
                    return lo + remaining if forward else hi - remaining
                remaining -= available
        raise AssertionError("unreachable: the day iterator is endless")  # pragma: no cover

    def working_time_between(self, a: _dt.datetime, b: _dt.datetime) -> _dt.timedelta:
        """Working time inside [a, b); negative when b is before a."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        if b < a:
            return -self.working_time_between(b, a)
        total = _dt.timedelta(0)
        last_day = self.working_day_of(b)
        for d in self._days(self.working_day_of(a), +1):
            if d > last_day:
                break
            for lo, hi in self._utc_intervals(d):
                lo, hi = max(lo, a), min(hi, b)
                if lo < hi:
                    total += hi - lo
        return total

    # ------------------------------------------------------------------ display

    def format(self, t: _dt.datetime, with_time: bool = True) -> str:
        """t in the chamber's time zone and calendar: '1405/08/30 14:05' (Solar Hijri) or '2026-11-21 14:05'."""
        _require_aware(t, "t")
        try:
            local = t.astimezone(self.tz)
        except (OverflowError, ValueError):
            # Year 1 or 9999 does not survive a shift of zone; a stored odd date is shown as stored, never a 500.
            local = t
        text = self.format_date(local.date())
        if with_time:
            text += f" {local.hour:02d}:{local.minute:02d}"
        return text

    def format_date(self, d: _dt.date) -> str:
        """d in the chamber's calendar: '1405/08/30' (Solar Hijri) or '2026-11-21' (Gregorian)."""
        if self.config.calendar_display == "solar_hijri":
            return self._solar_hijri_text(d)
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"

    def parse_date(self, text: str) -> _dt.date:
        """A date as staff write it: ISO (2026-11-26) or Solar Hijri with slashes (1405/09/05), whatever the
        chamber's display calendar. Raises ValueError with the accepted forms."""
        value = text.strip()
        try:
            if "/" in value:
                year, month, day = (int(part) for part in value.split("/"))
                gregorian = jdatetime.date(year, month, day).togregorian()
                return _dt.date(gregorian.year, gregorian.month, gregorian.day)
            return _dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a date: write it as YYYY-MM-DD (Gregorian) or YYYY/MM/DD (Solar Hijri)"
            ) from None


def _solar_hijri_text(d: _dt.date) -> str:
    """'1405/08/30': built from the fields rather than jdatetime's strftime, whose output depends on its locale
    (Persian digits); stored reports and tests need ASCII digits."""
    try:
        j = jdatetime.date.fromgregorian(date=d)
    except (OverflowError, ValueError):  # jdatetime covers Solar Hijri years 1..9377 only
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
