"""The chamber's business calendar: working weeks, holidays, working-time arithmetic and display."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest

from shared.calendar import IRAN, TURKEY, BusinessCalendar, CalendarConfig

UTC = dt.UTC
TEHRAN = ZoneInfo("Asia/Tehran")  # UTC+03:30 all year (no daylight saving since 2022)
ISTANBUL = ZoneInfo("Europe/Istanbul")  # UTC+03:00 all year
H = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def iran() -> BusinessCalendar:
    return BusinessCalendar(IRAN)


@pytest.fixture(scope="module")
def turkey() -> BusinessCalendar:
    return BusinessCalendar(TURKEY)


def tehran(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=TEHRAN)


def istanbul(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ISTANBUL)


# ---------------------------------------------------------------- working weeks


def test_the_iranian_week_works_saturday_to_wednesday_with_a_thursday_half_day_and_friday_off(iran):
    # 2026-11-21 is a Saturday (1405/08/30); no public holiday that week.
    saturday = dt.date(2026, 11, 21)
    full_day = [(tehran(2026, 11, 21, 8), tehran(2026, 11, 21, 16))]
    assert iran.working_intervals(saturday) == full_day
    for offset in range(5):  # Saturday .. Wednesday
        d = saturday + dt.timedelta(days=offset)
        assert iran.is_working_day(d)
        assert iran.working_time_between(*iran.working_intervals(d)[0]) == 8 * H
    thursday, friday = dt.date(2026, 11, 26), dt.date(2026, 11, 27)
    assert iran.working_intervals(thursday) == [(tehran(2026, 11, 26, 8), tehran(2026, 11, 26, 12))]
    assert not iran.is_working_day(friday)
    assert iran.working_intervals(friday) == []
    assert not iran.is_holiday(friday)  # closed by the weekly hours, not a holiday


def test_the_turkish_week_works_monday_to_friday_with_a_lunch_break_and_the_weekend_off(turkey):
    monday = dt.date(2026, 11, 16)
    assert turkey.working_intervals(monday) == [
        (istanbul(2026, 11, 16, 8, 30), istanbul(2026, 11, 16, 12, 30)),
        (istanbul(2026, 11, 16, 13, 30), istanbul(2026, 11, 16, 17, 30)),
    ]
    assert turkey.working_time_between(istanbul(2026, 11, 16, 0), istanbul(2026, 11, 17, 0)) == 8 * H
    assert [turkey.is_working_day(monday + dt.timedelta(days=i)) for i in range(7)] == [True] * 5 + [False] * 2
    # An hour that starts just before lunch resumes after it.
    assert turkey.add_working_time(istanbul(2026, 11, 16, 12), H) == istanbul(2026, 11, 16, 14).astimezone(UTC)


def test_working_intervals_are_in_the_chambers_time_zone(iran):
    start, end = iran.working_intervals(dt.date(2026, 11, 21))[0]
    assert start.tzinfo == TEHRAN and end.tzinfo == TEHRAN


def test_presets_can_be_chosen_by_country_code():
    assert BusinessCalendar.preset("IR").config == IRAN
    assert BusinessCalendar.preset("tr").config == TURKEY
    assert BusinessCalendar.preset("TR").tz == ISTANBUL
    with pytest.raises(ValueError, match="preset"):
        BusinessCalendar.preset("DE")


def test_the_default_config_is_the_iranian_chamber():
    assert CalendarConfig() == IRAN


# ---------------------------------------------------------------- holidays


def test_nowruz_is_a_holiday_and_not_a_working_day_in_iran(iran):
    nowruz = dt.date(2026, 3, 21)  # a Saturday, normally a full working day
    assert iran.is_holiday(nowruz)
    assert "Nowruz" in iran.holiday_name(nowruz)
    assert not iran.is_working_day(nowruz)
    assert iran.working_intervals(nowruz) == []
    assert iran.end_of_working_day(nowruz) is None


def test_turkish_national_days_are_holidays_and_not_working_days(turkey):
    for day, name in [(dt.date(2026, 4, 23), "Sovereignty"), (dt.date(2026, 10, 29), "Republic")]:
        assert day.weekday() == 3  # both are Thursdays in 2026
        assert turkey.is_holiday(day)
        assert name in turkey.holiday_name(day)
        assert not turkey.is_working_day(day)


def test_an_ordinary_day_has_no_holiday_name(iran, turkey):
    assert iran.holiday_name(dt.date(2026, 11, 21)) is None
    assert turkey.holiday_name(dt.date(2026, 11, 16)) is None


def test_holidays_of_any_year_are_fetched_on_demand(iran):
    assert iran.is_holiday(dt.date(2030, 3, 21))  # Nowruz, a year nobody asked for before
    assert iran.is_holiday(dt.date(2019, 3, 21))


def test_the_afternoon_before_republic_day_is_a_turkish_half_day(turkey):
    eve = dt.date(2026, 10, 28)  # the holidays package: "Republic Day (from 1pm)"
    assert turkey.is_half_day(eve)
    assert turkey.is_working_day(eve) and not turkey.is_holiday(eve)
    assert turkey.working_intervals(eve) == [(istanbul(2026, 10, 28, 8, 30), istanbul(2026, 10, 28, 12, 30))]


def test_half_days_can_be_treated_as_full_working_days():
    calendar = BusinessCalendar(TURKEY.model_copy(update={"half_day_closing": None}))
    assert not calendar.is_half_day(dt.date(2026, 10, 28))
    assert len(calendar.working_intervals(dt.date(2026, 10, 28))) == 2


def test_a_date_the_chamber_closes_is_a_holiday():
    closed = dt.date(2026, 11, 22)  # a Sunday, normally a working day in Iran
    calendar = BusinessCalendar(IRAN.model_copy(update={"closed_dates": [closed]}))
    assert calendar.is_holiday(closed)
    assert calendar.holiday_name(closed) == "Chamber holiday"
    assert not calendar.is_working_day(closed)
    assert calendar.next_working_day(dt.date(2026, 11, 21)) == dt.date(2026, 11, 23)


def test_a_public_holiday_the_chamber_opens_is_a_working_day():
    republic_day = dt.date(2026, 10, 29)
    calendar = BusinessCalendar(TURKEY.model_copy(update={"open_dates": [republic_day]}))
    assert not calendar.is_holiday(republic_day)
    assert calendar.holiday_name(republic_day) is None
    assert calendar.is_working_day(republic_day)
    assert len(calendar.working_intervals(republic_day)) == 2


def test_opening_a_holiday_that_falls_on_the_weekly_day_off_does_not_add_working_hours():
    oil_day = dt.date(2026, 3, 20)  # Iranian Oil Industry Nationalization Day, a Friday in 2026
    calendar = BusinessCalendar(IRAN.model_copy(update={"open_dates": [oil_day]}))
    assert not calendar.is_holiday(oil_day)
    assert not calendar.is_working_day(oil_day)


def test_a_calendar_without_a_country_has_no_public_holidays():
    calendar = BusinessCalendar(IRAN.model_copy(update={"country": ""}))
    assert not calendar.is_holiday(dt.date(2026, 3, 21))
    assert calendar.is_working_day(dt.date(2026, 3, 21))


# ---------------------------------------------------------------- next / previous working day


def test_the_next_working_day_skips_the_weekend_and_holidays(iran, turkey):
    # Iran: Wednesday 2026-03-18 -> Thursday 19 (half day, still a working day)
    assert iran.next_working_day(dt.date(2026, 3, 18)) == dt.date(2026, 3, 19)
    # Thursday 19 -> Friday 20 weekend, 21-24 Nowruz -> Wednesday 25
    assert iran.next_working_day(dt.date(2026, 3, 19)) == dt.date(2026, 3, 25)
    assert iran.previous_working_day(dt.date(2026, 3, 25)) == dt.date(2026, 3, 19)
    # Turkey: Wednesday 28 October -> Thursday 29 Republic Day -> Friday 30
    assert turkey.next_working_day(dt.date(2026, 10, 28)) == dt.date(2026, 10, 30)
    assert turkey.previous_working_day(dt.date(2026, 11, 2)) == dt.date(2026, 10, 30)


def test_the_next_working_day_is_strictly_after_the_given_day(turkey):
    assert turkey.next_working_day(dt.date(2026, 11, 16)) == dt.date(2026, 11, 17)
    assert turkey.previous_working_day(dt.date(2026, 11, 17)) == dt.date(2026, 11, 16)


# ---------------------------------------------------------------- end of the working day


def test_the_working_day_ends_at_the_end_of_its_last_interval(iran, turkey):
    assert iran.end_of_working_day(dt.date(2026, 11, 21)) == tehran(2026, 11, 21, 16)
    assert iran.end_of_working_day(dt.date(2026, 11, 26)) == tehran(2026, 11, 26, 12)  # Thursday half day
    assert iran.end_of_working_day(dt.date(2026, 11, 27)) is None  # Friday
    end = turkey.end_of_working_day(dt.date(2026, 11, 16))
    assert end == istanbul(2026, 11, 16, 17, 30)
    assert end.tzinfo == UTC
    assert turkey.end_of_working_day(dt.date(2026, 10, 28)) == istanbul(2026, 10, 28, 12, 30)  # half day


def test_the_working_day_of_an_instant_is_its_local_date(iran):
    # 21:00 UTC on the 20th is 00:30 on the 21st in Tehran.
    assert iran.working_day_of(dt.datetime(2026, 11, 20, 21, 0, tzinfo=UTC)) == dt.date(2026, 11, 21)
    assert iran.working_day_of(dt.datetime(2026, 11, 20, 20, 29, tzinfo=UTC)) == dt.date(2026, 11, 20)


# ---------------------------------------------------------------- adding working time


def test_24_working_hours_from_wednesday_afternoon_in_iran_span_the_thursday_half_day_and_friday(iran):
    start = tehran(2026, 11, 18, 14, 0)  # Wednesday 14:00
    # Wed 14:00-16:00 = 2h (2) · Thu 08:00-12:00 = 4h (6) · Fri closed · Sat 8h (14) · Sun 8h (22)
    # · Mon 08:00 + 2h = 10:00 Tehran = 06:30 UTC
    due = iran.add_working_time(start, 24 * H)
    assert due == dt.datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    assert due.tzinfo == UTC
    assert iran.working_time_between(start, due) == 24 * H


def test_24_working_hours_before_nowruz_skip_the_friday_and_four_days_of_holidays(iran):
    start = tehran(2026, 3, 18, 14, 0)  # Wednesday 14:00
    # Wed 14:00-16:00 = 2h (2) · Thu 19 half day 4h (6) · Fri 20 weekend (and Oil Nationalization Day)
    # · Sat 21 - Tue 24 Nowruz holidays · Wed 25 8h (14) · Thu 26 4h (18) · Fri 27 closed
    # · Sat 28 08:00 + 6h = 14:00 Tehran = 10:30 UTC
    assert iran.add_working_time(start, 24 * H) == dt.datetime(2026, 3, 28, 10, 30, tzinfo=UTC)


def test_24_working_hours_before_republic_day_in_turkey_skip_the_half_day_the_holiday_and_the_weekend(turkey):
    start = istanbul(2026, 10, 28, 10, 0)  # Wednesday 10:00, the half day before Republic Day
    # Wed 28 10:00-12:30 = 2.5h, no afternoon (half day) (2.5) · Thu 29 Republic Day · Fri 30 8h (10.5)
    # · Sat/Sun weekend · Mon 2 Nov 8h (18.5) · Tue 3 Nov 08:30-12:30 4h (22.5), 13:30 + 1.5h = 15:00
    # Istanbul = 12:00 UTC
    assert turkey.add_working_time(start, 24 * H) == dt.datetime(2026, 11, 3, 12, 0, tzinfo=UTC)


def test_time_added_outside_working_hours_counts_from_the_next_opening(iran, turkey):
    # Friday evening in Tehran: counting starts Saturday 08:00.
    assert iran.add_working_time(tehran(2026, 11, 20, 19, 0), H) == tehran(2026, 11, 21, 9, 0)
    # Before opening on a working day.
    assert iran.add_working_time(tehran(2026, 11, 21, 6, 0), 30 * dt.timedelta(minutes=1)) == tehran(
        2026, 11, 21, 8, 30
    )
    # During the Turkish lunch break.
    assert turkey.add_working_time(istanbul(2026, 11, 16, 13, 0), H) == istanbul(2026, 11, 16, 14, 30)
    # Saturday in Istanbul: counting starts Monday 08:30.
    assert turkey.add_working_time(istanbul(2026, 11, 14, 11, 0), 8 * H) == istanbul(2026, 11, 16, 17, 30)


def test_a_duration_that_runs_out_at_closing_time_ends_at_closing_time_not_at_the_next_opening(iran):
    assert iran.add_working_time(tehran(2026, 11, 21, 8, 0), 8 * H) == tehran(2026, 11, 21, 16, 0)


def test_adding_zero_working_time_returns_the_start_in_utc(iran):
    friday_night = tehran(2026, 11, 20, 23, 0)
    result = iran.add_working_time(friday_night, dt.timedelta(0))
    assert result == friday_night and result.tzinfo == UTC


def test_the_start_may_be_given_in_any_time_zone(iran):
    start_utc = tehran(2026, 11, 18, 14, 0).astimezone(UTC)
    start_istanbul = start_utc.astimezone(ISTANBUL)
    assert iran.add_working_time(start_utc, 24 * H) == iran.add_working_time(start_istanbul, 24 * H)


def test_durations_are_exact_to_the_microsecond(turkey):
    delta = dt.timedelta(hours=3, minutes=59, seconds=59, microseconds=999_999)
    start = istanbul(2026, 11, 16, 8, 30)
    assert turkey.add_working_time(start, delta) == istanbul(2026, 11, 16, 12, 29, 59, 999_999)
    assert turkey.add_working_time(start, delta + dt.timedelta(microseconds=1)) == istanbul(2026, 11, 16, 12, 30)
    assert turkey.add_working_time(start, delta + dt.timedelta(microseconds=2)) == istanbul(2026, 11, 16, 13, 30, 0, 1)


def test_a_negative_duration_counts_back_in_working_time(iran):
    # Monday 10:00 minus 24 working hours: Mon 2h, Sun 8h, Sat 8h, Thu 4h, Wed 14:00-16:00 2h.
    assert iran.add_working_time(tehran(2026, 11, 23, 10, 0), -24 * H) == tehran(2026, 11, 18, 14, 0)


def test_a_year_of_working_time_is_computed_by_whole_days(turkey):
    start = istanbul(2026, 1, 5, 8, 30)
    duration = 2000 * H  # 250 eight-hour days, about a year with holidays
    due = turkey.add_working_time(start, duration)
    assert turkey.working_time_between(start, due) == duration
    assert dt.date(2026, 12, 1) < turkey.working_day_of(due) < dt.date(2027, 3, 1)


def test_naive_datetimes_are_rejected(iran):
    naive = dt.datetime(2026, 11, 21, 10, 0)
    with pytest.raises(ValueError, match="aware"):
        iran.add_working_time(naive, H)
    with pytest.raises(ValueError, match="aware"):
        iran.working_time_between(naive, tehran(2026, 11, 22, 10))
    with pytest.raises(ValueError, match="aware"):
        iran.format(naive)
    with pytest.raises(ValueError, match="aware"):
        iran.working_day_of(naive)


def test_a_calendar_with_no_working_hours_raises_instead_of_looping_forever():
    calendar = BusinessCalendar(CalendarConfig(hours={}))
    with pytest.raises(ValueError, match="no working hours"):
        calendar.add_working_time(tehran(2026, 11, 21, 10), H)
    with pytest.raises(ValueError, match="no working hours"):
        calendar.next_working_day(dt.date(2026, 11, 21))
    assert calendar.working_time_between(tehran(2026, 11, 21), tehran(2026, 12, 21)) == dt.timedelta(0)


# ---------------------------------------------------------------- working time between


def test_working_time_between_counts_only_working_intervals(iran, turkey):
    # Wednesday 14:00 -> Saturday 09:00 in Tehran: 2h + 4h + 0 + 1h
    assert iran.working_time_between(tehran(2026, 11, 18, 14), tehran(2026, 11, 21, 9)) == 7 * H
    # Over a Turkish lunch break
    assert turkey.working_time_between(istanbul(2026, 11, 16, 12), istanbul(2026, 11, 16, 14)) == H


def test_working_time_between_is_negative_when_the_end_is_before_the_start(iran):
    a, b = tehran(2026, 11, 18, 14), tehran(2026, 11, 21, 9)
    assert iran.working_time_between(b, a) == -7 * H
    assert iran.working_time_between(a, a) == dt.timedelta(0)


@pytest.mark.parametrize("preset", ["IR", "TR"])
def test_adding_working_time_then_measuring_it_gives_back_the_duration(preset):
    calendar = BusinessCalendar.preset(preset)
    rng = random.Random(20261121)
    origin = dt.datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(300):
        start = origin + dt.timedelta(minutes=rng.randrange(0, 2 * 365 * 24 * 60))
        duration = dt.timedelta(minutes=rng.randrange(1, 120 * 60), seconds=rng.randrange(60))
        due = calendar.add_working_time(start, duration)
        assert due > start
        assert calendar.working_time_between(start, due) == duration
        # The deadline is the earliest such instant: it lies inside (or at the end of) a working interval.
        local_day = calendar.working_day_of(due - dt.timedelta(microseconds=1))
        assert any(lo < due <= hi for lo, hi in calendar.working_intervals(local_day))
        # Counting backwards from the deadline returns to the start, or to the opening that counting began at.
        back = calendar.add_working_time(due, -duration)
        assert back >= start
        assert calendar.working_time_between(start, back) == dt.timedelta(0)


# ---------------------------------------------------------------- daylight saving


def test_working_time_across_a_daylight_saving_change_uses_real_elapsed_time():
    # Berlin springs forward on 2026-03-29 (02:00 -> 03:00) and falls back on 2026-10-25 (03:00 -> 02:00).
    always_open = {
        day: ["00:00-24:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    }
    calendar = BusinessCalendar(CalendarConfig(country="", timezone="Europe/Berlin", hours=always_open))
    berlin = ZoneInfo("Europe/Berlin")
    spring, autumn = dt.date(2026, 3, 29), dt.date(2026, 10, 25)
    assert calendar.working_time_between(*calendar.working_intervals(spring)[0]) == 23 * H
    assert calendar.working_time_between(*calendar.working_intervals(autumn)[0]) == 25 * H
    # 00:00 plus 4 real hours on the spring day is 05:00 on the wall clock.
    assert calendar.add_working_time(dt.datetime(2026, 3, 29, tzinfo=berlin), 4 * H) == dt.datetime(
        2026, 3, 29, 5, tzinfo=berlin
    )


def test_office_hours_stay_on_the_wall_clock_across_a_daylight_saving_change():
    weekdays = {"friday": ["09:00-17:00"], "monday": ["09:00-17:00"]}
    calendar = BusinessCalendar(CalendarConfig(country="", timezone="Europe/Berlin", hours=weekdays))
    # Friday 27 March is UTC+1, Monday 30 March is UTC+2.
    assert calendar.end_of_working_day(dt.date(2026, 3, 27)) == dt.datetime(2026, 3, 27, 16, tzinfo=UTC)
    assert calendar.end_of_working_day(dt.date(2026, 3, 30)) == dt.datetime(2026, 3, 30, 15, tzinfo=UTC)
    assert calendar.add_working_time(
        dt.datetime(2026, 3, 27, 16, 0, tzinfo=ZoneInfo("Europe/Berlin")), 2 * H
    ) == dt.datetime(2026, 3, 30, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


# ---------------------------------------------------------------- display


def test_iranian_dates_are_shown_in_the_solar_hijri_calendar_with_ascii_digits(iran):
    assert iran.format_date(dt.date(2026, 11, 21)) == "1405/08/30"
    assert iran.format_date(dt.date(2026, 3, 21)) == "1405/01/01"  # Nowruz is 1 Farvardin
    # 10:35 UTC is 14:05 in Tehran
    assert iran.format(dt.datetime(2026, 11, 21, 10, 35, tzinfo=UTC)) == "1405/08/30 14:05"
    assert iran.format(dt.datetime(2026, 11, 21, 10, 35, tzinfo=UTC), with_time=False) == "1405/08/30"


def test_display_uses_the_chambers_local_date_not_the_utc_date(iran):
    # 21:00 UTC on 20 November is already 00:30 on 21 November (1405/08/30) in Tehran.
    assert iran.format(dt.datetime(2026, 11, 20, 21, 0, tzinfo=UTC)) == "1405/08/30 00:30"


def test_turkish_dates_are_shown_in_the_gregorian_calendar(turkey):
    assert turkey.format(dt.datetime(2026, 11, 21, 11, 5, tzinfo=UTC)) == "2026-11-21 14:05"
    assert turkey.format(dt.datetime(2026, 11, 21, 11, 5, tzinfo=UTC), with_time=False) == "2026-11-21"
    assert turkey.format_date(dt.date(2026, 10, 29)) == "2026-10-29"


# ---------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hours": {"monday": ["8-16"]}}, "HH:MM"),
        ({"hours": {"monday": ["08:00"]}}, "HH:MM-HH:MM"),
        ({"hours": {"monday": ["25:00-26:00"]}}, "valid time"),
        ({"hours": {"monday": ["08:60-09:00"]}}, "valid time"),
        ({"hours": {"monday": ["16:00-08:00"]}}, "ends at or before"),
        ({"hours": {"monday": ["08:00-08:00"]}}, "ends at or before"),
        ({"hours": {"monday": ["08:00-13:00", "12:00-16:00"]}}, "overlap"),
        ({"hours": {"funday": ["08:00-16:00"]}}, "unknown weekday"),
        ({"hours": {"Monday": ["08:00-12:00"], "monday": ["13:00-16:00"]}}, "more than once"),
        ({"timezone": "Asia/Isfahan"}, "unknown time zone"),
        ({"timezone": ""}, "unknown time zone"),
        ({"country": "XX"}, "unknown country"),
        ({"calendar_display": "julian"}, "solar_hijri"),
        ({"half_day_closing": "1pm"}, "half_day_closing"),
        ({"closed_dates": ["2026-11-22"], "open_dates": ["2026-11-22"]}, "both closed and open"),
        ({"closed_days": ["2026-11-22"]}, "closed_days"),
    ],
)
def test_invalid_configurations_are_rejected_with_a_clear_message(changes, message):
    with pytest.raises(ValueError, match=message):
        CalendarConfig(**changes)


def test_valid_hours_are_normalised():
    config = CalendarConfig(hours={" Monday ": ["13:30-17:30", " 08:30 - 12:30 "], "sunday": ["20:00-24:00"]})
    assert config.hours == {"monday": ["08:30-12:30", "13:30-17:30"], "sunday": ["20:00-24:00"]}
    # Touching intervals are not overlapping.
    assert CalendarConfig(hours={"monday": ["08:00-12:00", "12:00-16:00"]}).hours["monday"] == [
        "08:00-12:00",
        "12:00-16:00",
    ]


def test_a_configuration_can_be_read_from_settings_data():
    config = CalendarConfig.model_validate(
        {
            "country": "tr",
            "timezone": "Europe/Istanbul",
            "closed_dates": ["2026-11-16"],
            "calendar_display": "gregorian",
        }
    )
    assert config.country == "TR"
    assert config.closed_dates == [dt.date(2026, 11, 16)]
    assert not BusinessCalendar(config).is_working_day(dt.date(2026, 11, 16))


# --- schedules and closures entered at run time --------------------------------------------------------------------


@pytest.fixture
def chamber() -> BusinessCalendar:
    """A calendar of its own per test: schedules and closures change it."""
    return BusinessCalendar(IRAN)


def test_a_schedule_applies_from_its_date_and_not_before(chamber):
    # Saturdays 2027-05-29 and 2027-06-12, both ordinary working days.
    chamber.set_schedule(dt.date(2027, 6, 6), {"saturday": ["06:00-13:00"], "sunday": ["06:00-13:00"]})
    assert chamber.working_intervals(dt.date(2027, 5, 29)) == [(tehran(2027, 5, 29, 8), tehran(2027, 5, 29, 16))]
    assert chamber.working_intervals(dt.date(2027, 6, 12)) == [(tehran(2027, 6, 12, 6), tehran(2027, 6, 12, 13))]
    assert not chamber.is_working_day(dt.date(2027, 6, 10))  # Thursday: the summer schedule has none
    # A later schedule takes over from its own date; the summer one stays in force between the two.
    chamber.set_schedule(dt.date(2027, 9, 23), dict(IRAN.hours))
    assert chamber.end_of_working_day(dt.date(2027, 9, 18)) == tehran(2027, 9, 18, 13)
    assert chamber.end_of_working_day(dt.date(2027, 9, 25)) == tehran(2027, 9, 25, 16)
    assert [d for d, _ in chamber.schedules()] == [dt.date(2027, 6, 6), dt.date(2027, 9, 23)]


def test_a_schedule_moves_working_time_arithmetic_at_once(chamber):
    start = tehran(2027, 6, 12, 12)  # Saturday noon: 4 working hours left in the default day
    assert chamber.add_working_time(start, 5 * H) == tehran(2027, 6, 13, 9)
    chamber.set_schedule(dt.date(2027, 6, 1), {"saturday": ["06:00-13:00"], "sunday": ["06:00-13:00"]})
    assert chamber.add_working_time(start, 5 * H) == tehran(2027, 6, 13, 10)  # 1 h on Saturday, 4 h from 06:00


def test_a_closed_day_has_no_working_time_and_says_why(chamber):
    wednesday = dt.date(2026, 12, 2)
    assert chamber.is_working_day(wednesday)
    chamber.close(wednesday, "pollution")
    assert not chamber.is_working_day(wednesday)
    assert chamber.holiday_name(wednesday) == "Chamber holiday: pollution"
    # Tuesday 15:00 + 2 working hours skips the closed Wednesday to Thursday 09:00.
    assert chamber.add_working_time(tehran(2026, 12, 1, 15), 2 * H) == tehran(2026, 12, 3, 9)
    assert chamber.closures() == {wednesday: "pollution"}


def test_a_schedule_with_bad_hours_is_refused_and_changes_nothing(chamber):
    with pytest.raises(ValueError, match="overlap"):
        chamber.set_schedule(dt.date(2027, 6, 6), {"saturday": ["06:00-13:00", "12:00-14:00"]})
    with pytest.raises(ValueError, match="unknown weekday"):
        chamber.set_schedule(dt.date(2027, 6, 6), {"caturday": ["06:00-13:00"]})
    assert chamber.schedules() == []


def test_every_schedule_preset_names_its_source():
    from shared.calendar import SCHEDULE_PRESETS

    assert {"ir-chamber", "ir-public-offices", "ir-summer", "tr-public-offices"} <= set(SCHEDULE_PRESETS)
    for hours, source in SCHEDULE_PRESETS.values():
        assert len(source) > 40
        BusinessCalendar(IRAN).set_schedule(dt.date(2027, 1, 1), hours)  # valid hours
