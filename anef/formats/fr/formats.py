"""French date formats: Django's, with "à" between the day and the time."""

DATE_FORMAT = "j F Y"  # 2 mars 2026
DATETIME_FORMAT = "j F Y à H:i"  # 2 mars 2026 à 14:05
SHORT_DATE_FORMAT = "d/m/Y"  # 02/03/2026
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
