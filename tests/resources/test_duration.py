"""Go duration text: parsing what users write and printing it as Go does (the how-to's `waitTime: 1m0s`)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from resources import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1m", timedelta(minutes=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90s", timedelta(seconds=90)),
        ("1.5h", timedelta(minutes=90)),
        ("2h45m30.5s", timedelta(hours=2, minutes=45, seconds=30.5)),
        ("300ms", timedelta(milliseconds=300)),
        ("1us", timedelta(microseconds=1)),
        ("1\u00b5s", timedelta(microseconds=1)),
        ("0", timedelta(0)),
        ("-1m", timedelta(minutes=-1)),
        ("+5s", timedelta(seconds=5)),
        (".5s", timedelta(milliseconds=500)),
    ],
)
def test_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "expected a number"),
        ("1", "missing unit"),
        ("m", "expected a number"),
        ("1d", 'unknown unit "d"'),
        ("1h-5m", "unknown unit"),
        ("1ns", "finer than a microsecond"),
        ("-", "expected a number"),
    ],
)
def test_parse_rejects(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_duration(text)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=1), "1m0s"),
        (timedelta(hours=1, minutes=30), "1h30m0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(seconds=1.5), "1.5s"),
        (timedelta(milliseconds=250), "250ms"),
        (timedelta(microseconds=1500), "1.5ms"),
        (timedelta(microseconds=7), "7\u00b5s"),
        (timedelta(0), "0s"),
        (timedelta(hours=25), "25h0m0s"),
        (timedelta(minutes=-2, seconds=-3), "-2m3s"),
    ],
)
def test_format_like_go(value: timedelta, text: str) -> None:
    assert format_duration(value) == text


durations = st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400))


@given(durations)
def test_parse_of_format_is_identity(value: timedelta) -> None:
    assert parse_duration(format_duration(value)) == value


@given(durations)
def test_format_of_parse_round_trips_go_strings(value: timedelta) -> None:
    text = format_duration(value)
    assert format_duration(parse_duration(text)) == text


@given(st.integers(0, 500), st.integers(0, 59), st.integers(0, 59))
def test_user_written_hms_normalises(hours: int, minutes: int, seconds: int) -> None:
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + f"{seconds}s"
    value = parse_duration(text)
    assert value == timedelta(hours=hours, minutes=minutes, seconds=seconds)
    assert parse_duration(format_duration(value)) == value
