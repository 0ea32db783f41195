"""Calendar effects on demand: public holidays and shopping peaks, as shares of each period.

Effects are estimated and applied multiplicatively by the forecaster (see
docs/inventory-analytics.md): every model family can use them, intermittent ones included.
"""

from __future__ import annotations

import datetime as dt

import holidays as holiday_calendars
import numpy as np
import pandas as pd

EVENTS = ("public_holiday", "black_friday", "pre_christmas", "christmas")
LAST_SHIPPING_DAY = 21  # December: the pre-Christmas rush runs from the 1st to here
# The lull runs from the day after it to New Year's Day; holidays in it count as the lull.


def black_friday(year: int) -> dt.date:
    """The Friday after the fourth Thursday of November (US Thanksgiving)."""
    first = dt.date(year, 11, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(days=22)


def _event_days(days: pd.DatetimeIndex, country: str) -> pd.DataFrame:
    years = range(days[0].year, days[-1].year + 1)
    try:
        public = holiday_calendars.country_holidays(country, years=years)
    except NotImplementedError:
        raise ValueError(
            f"holidays={country!r} is not a country code the holidays package knows; "
            "use an ISO code such as 'CZ', or None to switch calendar effects off"
        ) from None
    month, day = days.month, days.day
    christmas = ((month == 12) & (day > LAST_SHIPPING_DAY)) | ((month == 1) & (day == 1))
    pre_christmas = (month == 12) & (day <= LAST_SHIPPING_DAY)
    peak_days = {
        black_friday(year) + dt.timedelta(days=k) for year in years for k in range(4)
    }  # Friday to Cyber Monday
    is_public = np.array([d in public for d in days.date]) & ~christmas
    return pd.DataFrame(
        {
            "public_holiday": is_public,
            "black_friday": np.array([d in peak_days for d in days.date]),
            "pre_christmas": pre_christmas,
            "christmas": christmas,
        },
        index=days,
    ).astype(float)


def shopping_calendar(periods: pd.PeriodIndex, country: str = "CZ") -> pd.DataFrame:
    """Share of each period's days that fall in each event (0/1 for daily periods).

    Columns are EVENTS; weekly or monthly periods get fractions, so a week holding Black Friday
    weekend carries 3/7 of the effect.
    """
    if pd.Timedelta(periods[0].end_time - periods[0].start_time) < pd.Timedelta(hours=23):
        raise ValueError(
            f"calendar effects need daily or coarser periods, got {periods.freqstr}; "
            "pass holidays=None for sub-daily demand"
        )
    days = pd.date_range(
        periods[0].start_time.normalize(), periods[-1].end_time.normalize(), freq="D"
    )
    flags = _event_days(days, country)
    if periods.freqstr == "D":
        return flags.set_axis(periods)
    owner = days.to_period(periods.freq)  # pyright: ignore[reportArgumentType]
    return flags.groupby(owner).mean().reindex(periods, fill_value=0.0)
