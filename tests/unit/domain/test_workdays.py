"""Working days on the mainland calendar, around the Spring Festival and National Day."""

from datetime import date

from closedloop.domain.workdays import add_workdays, covered, is_workday, workdays_between


def test_spring_festival_2024_holidays_and_makeup_days():
    assert not is_workday(date(2024, 2, 12))  # Monday inside the 春节 holiday
    assert is_workday(date(2024, 2, 4))  # Sunday make-up workday (调休)
    assert is_workday(date(2024, 2, 18))  # Sunday make-up workday after the holiday
    # five working days after Thursday 2024-02-08: Fri 9th (除夕, a working day), then the
    # holiday 10–17 February, then Sun 18th (make-up), 19th, 20th, 21st
    assert add_workdays(date(2024, 2, 8), 5) == date(2024, 2, 21)
    assert workdays_between(date(2024, 2, 9), date(2024, 2, 17)) == 0


def test_national_day_2024():
    assert not is_workday(date(2024, 10, 1)) and not is_workday(date(2024, 10, 7))
    assert is_workday(date(2024, 9, 29))  # Sunday make-up
    assert is_workday(date(2024, 10, 12))  # Saturday make-up
    assert add_workdays(date(2024, 9, 30), 1) == date(2024, 10, 8)
    assert workdays_between(date(2024, 9, 30), date(2024, 10, 8)) == 1


def test_year_the_package_lacks_falls_back_to_weekdays_and_overrides():
    year = 2099
    assert not covered(year)
    assert is_workday(date(year, 1, 1)) is (date(year, 1, 1).weekday() < 5)
    overrides = {date(year, 1, 1): False, date(year, 1, 3): True}  # Thursday holiday, Saturday make-up
    assert not is_workday(date(year, 1, 1), overrides)
    assert is_workday(date(year, 1, 3), overrides)
    assert covered(2024)
