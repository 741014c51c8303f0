"""Object ages as kubectl prints them (k8s.io/apimachinery `duration.HumanDuration`)."""
from __future__ import annotations

from datetime import datetime, timedelta

_MINUTE = 60
_HOUR = 3600
_DAY = 86400


def human_duration(elapsed: timedelta) -> str:
    """`8s`, `7m31s`, `134m`, `3h4m`, `5d`, `2y`...: precise when short, coarser as it grows."""
    seconds = int(elapsed.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 2 * _MINUTE:
        return f"{seconds}s"
    minutes = seconds // _MINUTE
    if minutes < 10:
        rest = seconds % _MINUTE
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 3 * 60:
        return f"{minutes}m"
    hours = seconds // _HOUR
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if days < 365 * 8:
        rest = days % 365
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


def age(created: datetime | None, now: datetime) -> str:
    """The AGE cell of an object created at `created` (`<unknown>` when the object has no timestamp)."""
    if created is None:
        return "<unknown>"
    return human_duration(now - created)

