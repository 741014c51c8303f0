"""Command-line handling that needs no hub: `--server` anywhere, `-f` manifests, `--for` conditions."""
import pytest

from cli.errors import CliError
import typer

from cli.main import app, global_options, hoist_options
from cli.manifests import parse_file
from cli.waiting import parse_for


def test_global_options_may_be_given_anywhere() -> None:
    options = {"--server", "-s", "--token"}
    assert hoist_options(["get", "crp", "--server", "http://h:1"], options) == ["--server", "http://h:1", "get", "crp"]
    assert hoist_options(["get", "--server=http://h:1", "crp"], options) == ["--server=http://h:1", "get", "crp"]
    assert hoist_options(["-s", "u", "get"], options) == ["-s", "u", "get"]


def test_only_options_of_the_root_that_the_command_lacks_are_hoisted() -> None:
    group = typer.main.get_command(app)
    assert {"--server", "-s"} <= global_options(group, ["get", "crp"])
    assert "--store" not in global_options(group, ["hub"])


def test_namespaced_objects_get_the_namespace_flag_or_default() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n" \
           "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n"
    cm, ns = parse_file(text, "STDIN", "team")
    assert cm.namespace == "team" and ns.namespace is None
    assert parse_file(text, "STDIN", None)[0].namespace == "default"
    with pytest.raises(CliError, match='does not match the namespace "other"'):
        parse_file(text.replace("  name: a\n", "  name: a\n  namespace: team\n"), "STDIN", "other")


def test_invalid_and_empty_manifests_name_the_problem() -> None:
    expected = r'^error: f.yaml: document 1: ClusterStagedUpdateRun "r": 2 problems:\n  - spec.placementName'
    with pytest.raises(CliError, match=expected):
        parse_file("apiVersion: placement.kubernetes-fleet.io/v1beta1\nkind: ClusterStagedUpdateRun\n"
                   "metadata:\n  name: r\nspec: {}\n", "f.yaml", None)
    with pytest.raises(CliError, match='the manifest "f.yaml" is empty'):
        parse_file("---\n", "f.yaml", None)


def test_wait_conditions() -> None:
    succeeded, said = parse_for("condition=succeeded")
    doc = {"status": {"conditions": [{"type": "Succeeded", "status": "True"}]}}
    assert said == "condition met" and succeeded(doc) and not succeeded(None)
    failed, _ = parse_for("condition=Succeeded=False")
    assert not failed(doc)
    deleted, said = parse_for("delete")
    assert said == "deleted" and deleted(None) and not deleted(doc)
    with pytest.raises(CliError, match="unrecognized --for"):
        parse_for("ready")
