"""The statutory month as the ICO counts it: day one is the day received, short months end on their last day,
weekends and bank holidays move the deadline on, pauses push it by the days paused."""
import datetime as dt

import pytest
from civic.privacy.deadlines import add_months, deadline

D = dt.date
EW = "england-and-wales"


@pytest.mark.parametrize("received, due", [
    (D(2025, 3, 3), D(2025, 4, 3)),    # the same date next month
    (D(2028, 1, 31), D(2028, 2, 29)),  # no 31 February: the month's last day (a leap year)
    (D(2025, 1, 31), D(2025, 2, 28)),
    (D(2026, 1, 31), D(2026, 3, 2)),   # 28 February 2026 is a Saturday: the next working day
    (D(2025, 11, 25), D(2025, 12, 29)),  # Christmas Day, Boxing Day, then a weekend
    (D(2025, 4, 5), D(2025, 5, 6)),    # 5 May 2025 is the early May bank holiday
])
def test_one_calendar_month_then_the_next_working_day(received, due):
    assert deadline(received, region=EW) == due


def test_the_regions_bank_holidays_apply():
    assert deadline(D(2025, 12, 2), region=EW) == D(2026, 1, 2)
    assert deadline(D(2025, 12, 2), region="scotland") == D(2026, 1, 5)  # 2 January is a Scottish bank holiday


def test_an_extension_counts_months_from_the_day_received():
    assert deadline(D(2025, 11, 30), region=EW, extension_months=2) == D(2026, 3, 2)  # 28 Feb + 2 months: 28 Feb
    assert add_months(D(2025, 11, 30), 3) == D(2026, 2, 28)
    assert add_months(D(2025, 12, 31), 1) == D(2026, 1, 31)


def test_days_paused_push_the_deadline_on():
    # Received 10 March, paused 9 days: 19 April 2025 is a Saturday, 21 April Easter Monday.
    assert deadline(D(2025, 3, 10), region=EW, paused_days=9) == D(2025, 4, 22)
