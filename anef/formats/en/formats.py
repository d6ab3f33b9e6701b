"""English date formats for people living in France: day first and a 24-hour clock, as on every
French document they hold. Django's own English formats are American ("Dec. 1, 2026, 10:26 p.m."),
and one ending in "p.m." followed by a sentence's full stop read "p.m.." (issue 9)."""

DATE_FORMAT = "j F Y"  # 2 March 2026
DATETIME_FORMAT = "j F Y, H:i"  # 2 March 2026, 14:05
SHORT_DATE_FORMAT = "d/m/Y"  # 02/03/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
