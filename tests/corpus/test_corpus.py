"""Every case of the bad-input corpus (tests/corpus/cases/*.yaml) through the real CLI against a real hub:
exit status, the message, and nothing (or only the rejected command) left in the event log."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.corpus import direct
from tests.corpus.cases import LogChange, case_names, load_case, load_world
from tests.corpus.checks import log_problems, outcome_problems, succeed
from tests.corpus.corpusfleet import CorpusHub, corpus_hub

PARITY_SAMPLE = ("yaml-unclosed-quote", "get-missing-run", "run-change-snapshot-index")
"""Cases also run as a child process, to show the in-process CLI behaves exactly as the installed one."""


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CorpusHub]:
    with corpus_hub(tmp_path_factory.mktemp("corpus"), load_world()) as running:
        yield running


def test_corpus_is_large_enough() -> None:
    assert len(case_names()) >= 60


def _param(name: str) -> object:
    """A case by file name; one with a `known_issue` is an expected failure (strict)."""
    issue = load_case(name).known_issue
    return pytest.param(name, marks=[pytest.mark.xfail(reason=issue, strict=True)] if issue else [], id=name)


def _cases() -> list[object]:
    return [_param(name) for name in case_names()]


def _refused_manifests() -> list[object]:
    """Cases of one object that `apply` refuses with the log unchanged: the hub alone must refuse them too."""
    return [
        _param(name) for name in case_names()
        if (case := load_case(name)).run.args == ["apply", "-f", "-"] and case.expect.exit == 1
        and case.expect.log is LogChange.UNCHANGED and direct.single_object(case.run.expanded_stdin()) is not None
    ]


@pytest.mark.parametrize("name", _cases())
def test_bad_input(hub: CorpusHub, name: str) -> None:
    case = load_case(name)
    for step in case.setup:
        succeed(hub.cli, step)
    before = hub.log.offsets()
    outcome = hub.cli(case.run.expanded_args(), case.run.expanded_stdin(), case.run.env)
    problems = outcome_problems(case.expect, outcome)
    problems += log_problems(case.expect.log, hub.log.added_since(before))
    if case.expect.then is not None and not problems:
        succeed(hub.cli, case.expect.then)
    assert not problems, (f"{name}: {case.about}\n`{case.run.shown()}`\n- " + "\n- ".join(problems)
                          + f"\n{outcome.describe()}")


@pytest.mark.parametrize("name", PARITY_SAMPLE)
def test_installed_command_agrees(hub: CorpusHub, name: str) -> None:
    case = load_case(name)
    args, stdin = case.run.expanded_args(), case.run.expanded_stdin()
    assert hub.subprocess_cli(args, stdin, case.run.env) == hub.cli(args, stdin, case.run.env)


@pytest.mark.parametrize("name", _refused_manifests())
def test_hub_refuses_without_the_cli(hub: CorpusHub, name: str) -> None:
    case = load_case(name)
    doc = direct.single_object(case.run.expanded_stdin())
    assert doc is not None
    before = hub.log.offsets()
    response = direct.put(hub.fleet.server, doc)
    problems = [] if 400 <= response.status_code < 500 else [f"HTTP {response.status_code}, expected a 4xx refusal"]
    message = str(response.json().get("message", "")) if problems == [] else ""
    problems += [f"the hub's message lacks the field path {path!r}" for path in direct.field_paths(case.expect.stderr)
                 if path not in message]
    problems += log_problems(LogChange.UNCHANGED, hub.log.added_since(before))
    assert not problems, f"{name}: {case.about}\n- " + "\n- ".join(problems) + f"\n{response.text[:2000]}"
