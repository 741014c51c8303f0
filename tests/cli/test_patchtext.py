"""Patches as the how-to's shell commands deliver them to `fleetstage patch`."""
import subprocess

import pytest

from cli.errors import CliError
from cli.patchtext import parse_bare, parse_patch, rejoin_brace_expansion

APPROVED = {"type": "Approved", "status": "True", "reason": "lgtm", "message": "lgtm",
            "lastTransitionTime": "2025-01-01T12:00:00Z", "observedGeneration": 1}

HOWTO_PATCH_ARGS = (
    'printf "%s\\n" -p {"status":{"conditions":[{"type":"Approved","status":"True","reason":"lgtm",'
    '"message":"lgtm","lastTransitionTime":"\'$(echo 2025-01-01T12:00:00Z)\'","observedGeneration":1}]}}'
)


def test_the_howto_unquoted_patch_survives_bash_brace_expansion() -> None:
    argv = subprocess.run(["bash", "-c", HOWTO_PATCH_ARGS], capture_output=True, text=True, check=True).stdout
    words = argv.splitlines()[1:]
    assert len(words) == 6  # bash split the object into one word per key
    patch = parse_patch(rejoin_brace_expansion(words))
    assert patch == {"status": {"conditions": [APPROVED]}}


def test_the_howto_approval_file_without_outer_braces_is_yaml() -> None:
    text = """"status": {
    "conditions": [
        {
            "lastTransitionTime": "2025-01-01T12:00:00Z",
            "message": "lgtm",
            "observedGeneration": 1,
            "reason": "lgtm",
            "status": "True",
            "type": "Approved"
        }
    ]
}
"""
    assert parse_patch(text) == {"status": {"conditions": [APPROVED]}}


def test_quoted_json_and_yaml_patches() -> None:
    assert parse_patch('{"metadata":{"labels":{"a":"b"}}}') == {"metadata": {"labels": {"a": "b"}}}
    assert parse_patch("spec:\n  state: Stop\n") == {"spec": {"state": "Stop"}}
    assert parse_patch('{"spec":{"x":null}}') == {"spec": {"x": None}}


def test_bare_syntax_types_and_errors() -> None:
    assert parse_bare("{a:1,b:[x,'y z'],c:true,d:null,e:True}") == {
        "a": 1, "b": ["x", "y z"], "c": True, "d": None, "e": "True"}
    with pytest.raises(CliError, match="expected"):
        parse_bare("{a:1")
    with pytest.raises(CliError, match="must be an object"):
        parse_patch("[1, 2]")


def test_rejoin_handles_a_whole_object_expanded_and_keeps_one_word() -> None:
    assert rejoin_brace_expansion(["{a:1}"]) == "{a:1}"
    assert parse_patch(rejoin_brace_expansion(["a:1", "b:2"])) == {"a": 1, "b": 2}  # -p {"a":1,"b":2}


def test_words_that_are_no_expansion_give_a_clear_error() -> None:
    with pytest.raises(CliError, match="cannot parse the patch"):
        parse_patch(rejoin_brace_expansion(["{a:1}", "x"]))
