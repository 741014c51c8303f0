"""AGE cells as kubectl prints them (duration.HumanDuration)."""
from datetime import datetime, timedelta, timezone

import pytest

from cli.age import age, human_duration


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (8, "8s"),
        (44, "44s"),
        (119, "119s"),
        (122, "2m2s"),
        (150, "2m30s"),
        (180, "3m"),
        (262, "4m22s"),
        (451, "7m31s"),
        (599, "9m59s"),
        (600, "10m"),
        (134 * 60 + 59, "134m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 4 * 60 + 5, "3h4m"),
        (8 * 3600, "8h"),
        (47 * 3600, "47h"),
        (48 * 3600, "2d"),
        (5 * 86400, "5d"),
        (5 * 86400 + 3 * 3600, "5d3h"),
        (8 * 86400 + 3 * 3600, "8d"),
        (400 * 86400, "400d"),
        (730 * 86400, "2y"),
        (731 * 86400, "2y1d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_matches_kubectl(seconds: int, text: str) -> None:
    assert human_duration(timedelta(seconds=seconds)) == text


def test_age_of_an_object_and_of_one_without_timestamp() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=timezone.utc)
    assert age(now - timedelta(minutes=7, seconds=31), now) == "7m31s"
    assert age(None, now) == "<unknown>"
