"""Authentication from the command line, with real `fleetstage` processes: `fleetstage token create`,
`fleetstage hub --token-auth-file` / `--no-auth`, and the client's --token, --token-file, $FLEETSTAGE_TOKEN."""
from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cli.credentials import bearer_token
from cli.errors import CliError
from hub.tokens import load_token_file
from tests.cli.procs import BIN, TIMEOUT, free_port, wait_healthy


def fleetstage(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
               ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLEETSTAGE_")}
    return subprocess.run([str(BIN / "fleetstage"), *args], capture_output=True, text=True, timeout=TIMEOUT,
                          env={**clean, "NO_COLOR": "1", **(env or {})}, cwd=cwd)


@contextmanager
def hub_process(workdir: Path, port: int, *auth: str) -> Iterator[Path]:
    """`fleetstage hub` with `auth` options at debug log level; yields its log file (complete after the block)."""
    log = workdir / f"hub-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "fleetstage"), "hub", *auth, "--port", str(port), "--data-dir", str(workdir / "data"),
             "--log-level", "debug"], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process, log)
            yield log
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=TIMEOUT) == 0, log.read_text()


def test_the_hub_refuses_to_start_without_a_token_file_or_no_auth(tmp_path: Path) -> None:
    done = fleetstage("hub", "--port", str(free_port()), "--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.startswith("error: the hub needs a token file (--token-auth-file FILE)")
    assert "`fleetstage token create alice --role operator --file tokens.yaml`" in done.stderr
    assert "--no-auth" in done.stderr


def test_token_create_prints_the_token_once_and_keeps_only_its_hash(tmp_path: Path) -> None:
    made = fleetstage("token", "create", "vic", "--role", "viewer", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert made.stderr.startswith('added user "vic" (viewer) to tokens.yaml')
    file = tmp_path / "tokens.yaml"
    assert file.stat().st_mode & 0o777 == 0o600 and token not in file.read_text()
    fleetstage("token", "create", "ann", "-r", "operator", "-r", "approver", cwd=tmp_path)
    table = load_token_file(file)
    assert table.user_count() == 2 and table.identify(token).name == "vic"  # type: ignore[union-attr]
    bad = fleetstage("token", "create", "eve", "--role", "root", cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr == 'error: --role: "root" is not a role; use viewer, operator, approver\n'


def test_clients_send_their_token_and_errors_read_like_kubectl(tmp_path: Path) -> None:
    tokens = {}
    for user, role in (("vic", "viewer"), ("olga", "operator")):
        tokens[user] = fleetstage("token", "create", user, "--role", role, cwd=tmp_path).stdout.strip()
    (tmp_path / "olga.token").write_text(tokens["olga"] + "\n")
    port = free_port()
    server = {"FLEETSTAGE_SERVER": f"http://127.0.0.1:{port}"}
    with hub_process(tmp_path, port, "--token-auth-file", str(tmp_path / "tokens.yaml")) as log:
        created = fleetstage("--token-file", str(tmp_path / "olga.token"), "create", "namespace", "n1", env=server)
        assert created.returncode == 0 and created.stdout == "namespace/n1 created\n", created.stderr
        as_vic = {**server, "FLEETSTAGE_TOKEN": tokens["vic"]}
        assert fleetstage("get", "namespace", "n1", "-o", "name", env=as_vic).stdout == "namespace/n1\n"
        refused = fleetstage("delete", "namespace", "n1", env=as_vic)
        assert refused.returncode == 1
        assert refused.stderr == ('Error from server (Forbidden): namespaces "n1" is forbidden: User "vic" cannot '
                                  'delete resource "namespaces" in API group "": requires the operator role; '
                                  'user "vic" has viewer\n')
        anonymous = fleetstage("get", "namespaces", env=server)
        assert anonymous.returncode == 1 and anonymous.stderr.startswith(
            'Error from server (Unauthorized): no bearer token: send the header "Authorization: Bearer TOKEN"')
        wrong = fleetstage("--token", "not-a-token-of-this-hub", "get", "namespaces", env=server)
        assert wrong.stderr.startswith("Error from server (Unauthorized): the bearer token is not valid for this hub")
        shown = fleetstage("get", "namespace", "n1", "-o", "yaml", env=as_vic).stdout
        assert "name: n1" in shown and tokens["vic"] not in shown
    text = log.read_text()
    assert "authentication: bearer tokens of 2 user(s)" in text and "refused DELETE /api/v1/namespaces/n1" in text
    for token in tokens.values():
        assert token not in text


def test_a_hub_without_authentication_says_so_in_its_log(tmp_path: Path) -> None:
    with hub_process(tmp_path, free_port(), "--no-auth") as log:
        pass
    assert "WARNING hub.auth: authentication is OFF (--no-auth)" in log.read_text()


def test_the_token_comes_from_the_option_else_the_first_line_of_the_file(tmp_path: Path) -> None:
    file = tmp_path / "token"
    file.write_text("from-the-file\nsecond line\n")
    assert bearer_token(" given ", file) == "given"
    assert bearer_token(None, file) == "from-the-file"
    assert bearer_token(None, None) is None
    with pytest.raises(CliError, match="cannot read the token file .*nope .--token-file or .FLEETSTAGE_TOKEN_FILE."):
        bearer_token(None, tmp_path / "nope")
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(CliError, match="is empty: put the token on its first line"):
        bearer_token(None, tmp_path / "empty")
