"""Go `time.Duration` text: `parse_duration("1h30m")` and `format_duration(td) -> "1h30m0s"` as Go prints it."""

from __future__ import annotations

import re
from datetime import timedelta
from fractions import Fraction

_NS_PER_UNIT: dict[str, int] = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # micro sign
    "\u03bcs": 1_000,  # Greek mu
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60 * 1_000_000_000,
    "h": 3600 * 1_000_000_000,
}
_COMPONENT = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")
_NS_PER_US = 1_000


def parse_duration(text: str) -> timedelta:
    """Parse Go duration syntax: a sign and a sequence of decimal numbers with units, e.g. `1h30m`, `90s`,
    `1.5m`, `300ms`; `0` alone is zero. Raises ValueError naming the problem and the accepted form."""
    if not isinstance(text, str):
        raise ValueError(f'a duration must be a string such as "1m", got {text!r}')
    rest, sign = text, 1
    if rest[:1] in ("+", "-"):
        sign = -1 if rest[0] == "-" else 1
        rest = rest[1:]
    if rest == "0":
        return timedelta(0)
    if not rest:
        raise ValueError(f'invalid duration "{text}": expected a number with a unit, e.g. "1m" or "1h30m"')
    total = Fraction(0)
    pos = 0
    while pos < len(rest):
        match = _COMPONENT.match(rest, pos)
        assert match is not None  # every part of the pattern is optional
        number, unit = match.group(1), match.group(2)
        if not number or number == ".":
            raise ValueError(f'invalid duration "{text}": expected a number at "{rest[pos:]}"')
        if not unit:
            raise ValueError(f'invalid duration "{text}": missing unit after "{number}" (use h, m, s, ms, us or ns)')
        if unit not in _NS_PER_UNIT:
            raise ValueError(f'invalid duration "{text}": unknown unit "{unit}" (use h, m, s, ms, us or ns)')
        total += Fraction(number) * _NS_PER_UNIT[unit]
        pos = match.end()
    nanos = int(total)  # Go truncates below a nanosecond
    if nanos % _NS_PER_US:
        raise ValueError(f'invalid duration "{text}": finer than a microsecond is not supported')
    return sign * timedelta(microseconds=nanos // _NS_PER_US)


def _trimmed_fraction(value: int, digits: int) -> str:
    """`.5` for value=5 of digits=1 units; "" when zero; trailing zeros dropped (Go's fmtFrac)."""
    if value == 0:
        return ""
    return "." + f"{value:0{digits}d}".rstrip("0")


def format_duration(value: timedelta) -> str:
    """Go's Duration.String(): `1m0s`, `1h30m0s`, `1.5s`, `250ms`, `0s`, `-2m3s`."""
    nanos = (value.days * 86_400 + value.seconds) * 1_000_000_000 + value.microseconds * _NS_PER_US
    sign = "-" if nanos < 0 else ""
    nanos = abs(nanos)
    if nanos == 0:
        return "0s"
    if nanos < 1_000_000_000:
        for unit, size, digits in (("ms", 1_000_000, 6), ("\u00b5s", 1_000, 3), ("ns", 1, 0)):
            if nanos >= size:
                return f"{sign}{nanos // size}{_trimmed_fraction(nanos % size, digits)}{unit}"
    seconds, frac = divmod(nanos, 1_000_000_000)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{seconds}{_trimmed_fraction(frac, 9)}s"
    if minutes or hours:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return sign + text
