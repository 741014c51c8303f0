"""Label selectors of list queries (`get -l ...`): kubectl's equality- and set-based syntax, and clear refusals."""
from __future__ import annotations

import pytest

from projections.selectors import parse_selector

LABELS = {"environment": "canary", "order": "2"}


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        ("environment=canary", True),
        ("environment==canary", True),
        ("environment!=canary", False),
        ("region!=eu", True),
        ("environment in (canary, prod)", True),
        ("environment in (prod)", False),
        ("region in (eu)", False),
        ("environment notin (canary)", False),
        ("region notin (eu)", True),
        ("order", True),
        ("region", False),
        ("!region", True),
        ("!order", False),
        ("environment in (canary,prod),order=2,!region", True),
        ("environment in (canary,prod),order=3", False),
        ("", True),
    ],
)
def test_selector_matches_as_kubernetes_does(selector: str, matches: bool) -> None:
    assert parse_selector(selector)(LABELS) is matches


@pytest.mark.parametrize(
    ("selector", "words"),
    [
        ("environment in (canary", 'the value set is not closed: add ")"'),
        ("environment in canary)", 'without a "(" before it'),
        ("environment in ()", 'the value set of "environment in ()" must not be empty'),
        ("environment=canary,", "an empty requirement"),
        ("environment canary", 'cannot read the requirement "environment canary"'),
        ("Bad_/key=x", 'key "Bad_/key"'),
        ("environment=not valid!", "cannot read the requirement"),
    ],
)
def test_malformed_selector_is_refused_naming_it(selector: str, words: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_selector(selector)
    assert f'invalid label selector "{selector}": ' in str(caught.value) and words in str(caught.value)
    assert "key in (a,b)" in str(caught.value)


def test_mapping_selector_needs_every_label() -> None:
    assert parse_selector({"environment": "canary", "order": "2"})(LABELS)
    assert not parse_selector({"environment": "canary", "order": "3"})(LABELS)
