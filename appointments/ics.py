"""An appointment as an iCalendar file (RFC 5545), written by hand: one event, no dependency.

What the RFC asks and calendar apps check: CRLF line endings; lines folded at 75 octets (a
continuation starts with one space, and a UTF-8 character is never cut in two); TEXT values with
backslash, semicolon, comma and newline escaped; UTC times written ``YYYYMMDDTHHMMSSZ``; a UID that
stays the same for the same appointment, so that importing the file again updates the event
instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime

CRLF = "\r\n"
MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form (RFC 5545 §3.3.5); ``moment`` must be aware."""
    if moment.tzinfo is None:
        raise ValueError("An iCalendar time needs an aware datetime.")
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line: str) -> str:
    """Splits a content line into chunks of at most 75 octets (RFC 5545 §3.1)."""
    chunks: list[str] = []
    current, size = "", 0
    limit = MAX_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            chunks.append(current)
            current, size = "", 0
            limit = MAX_OCTETS - 1  # the leading space of a continuation line counts
        current += char
        size += width
    chunks.append(current)
    return (CRLF + " ").join(chunks)


def calendar_event(
    *, uid: str, stamp: datetime, starts_at: datetime, ends_at: datetime, summary: str,
    location: str = "", description: str = "", cancelled: bool = False, sequence: int = 0,
) -> str:
    """A VCALENDAR holding one VEVENT; ``cancelled`` marks the event as cancelled (calendar apps
    that imported it before then strike it out)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Ministere de l'Interieur//ANEF Rendez-vous//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:" + ("CANCEL" if cancelled else "PUBLISH"),
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"SEQUENCE:{sequence}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART:{utc_stamp(starts_at)}",
        f"DTEND:{utc_stamp(ends_at)}",
        f"SUMMARY:{escape_text(summary)}",
    ]
    if location:
        lines.append(f"LOCATION:{escape_text(location)}")
    if description:
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    lines += [
        "STATUS:" + ("CANCELLED" if cancelled else "CONFIRMED"),
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + CRLF for line in lines)
