"""The hub's token file (hub.tokens) and the choice between it and --no-auth (hub.auth.authenticator)."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from hub.auth import AuthSetupError, NoAuthentication, TokenAuthenticator, authenticator
from hub.tokens import Role, TokenFileError, load_token_file
from tests.security.tokens import TOKENS, write_token_file


def write(path: Path, users: object) -> Path:
    path.write_text(yaml.safe_dump({"users": users}))
    return path


def test_tokens_stand_for_users_whose_roles_include_viewer(tmp_path: Path) -> None:
    table = load_token_file(write_token_file(tmp_path / "tokens.yaml"))
    olga, carol, vic = (table.identify(TOKENS[name]) for name in ("olga", "carol", "vic"))
    assert olga is not None and olga.name == "olga" and olga.roles == {Role.OPERATOR, Role.VIEWER}
    assert carol is not None and carol.roles == {Role.APPROVER, Role.VIEWER}  # from tokenSha256
    assert vic is not None and vic.role_names() == ["viewer"]
    assert table.identify("olga") is None and table.identify(TOKENS["olga"] + "x") is None
    assert table.user_count() == 3


@pytest.mark.parametrize("users, problem", [
    ([{"name": "a", "token": "t" * 16, "roles": ["admin"]}], "users[0].roles[0]: Input should be 'viewer', "),
    ([{"name": "a", "token": "t" * 16, "roles": []}], "users[0].roles: List should have at least 1 item"),
    ([{"name": "a", "token": "short-secret", "roles": ["viewer"]}], "users[0].token: String should have at least 16"),
    ([{"name": "a", "roles": ["viewer"]}], "users[0]: Value error, give exactly one of token or tokenSha256"),
    ([{"name": "a", "tokenSha256": "abc", "roles": ["viewer"]}], "users[0].tokenSha256: String should match"),
    ([{"name": "a", "token": "t" * 16, "roles": ["viewer"], "admin": True}], "users[0].admin: Extra inputs"),
    ([{"name": "a", "token": "t" * 16, "roles": ["viewer"]}, {"name": "b", "token": "t" * 16, "roles": ["viewer"]}],
     'users[1]: the same token as user "a"'),
])
def test_a_bad_entry_is_named_without_showing_its_token(tmp_path: Path, users: object, problem: str) -> None:
    with pytest.raises(TokenFileError) as caught:
        load_token_file(write(tmp_path / "tokens.yaml", users))
    assert problem in str(caught.value) and str(tmp_path / "tokens.yaml") in str(caught.value)
    assert "short-secret" not in str(caught.value) and "t" * 16 not in str(caught.value)


def test_a_missing_empty_or_unparsable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenFileError, match="cannot read the token file .*nope.yaml: No such file"):
        load_token_file(tmp_path / "nope.yaml")
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(TokenFileError, match="empty.yaml is not valid: the file: Input should be a valid dict"):
        load_token_file(tmp_path / "empty.yaml")
    (tmp_path / "bad.yaml").write_text("users: [")
    with pytest.raises(TokenFileError, match="bad.yaml is not valid YAML"):
        load_token_file(tmp_path / "bad.yaml")


def test_the_hub_authenticates_with_a_token_file_or_explicitly_not_at_all(tmp_path: Path) -> None:
    with pytest.raises(AuthSetupError) as caught:
        authenticator(None, no_auth=False)
    assert "--token-auth-file" in str(caught.value) and "--no-auth" in str(caught.value)
    assert "fleetstage token create" in str(caught.value)
    tokens = write_token_file(tmp_path / "tokens.yaml")
    with pytest.raises(AuthSetupError, match="give --token-auth-file or --no-auth, not both"):
        authenticator(tokens, no_auth=True)
    with pytest.raises(AuthSetupError, match="cannot read the token file"):
        authenticator(tmp_path / "nope.yaml", no_auth=False)
    assert isinstance(authenticator(tokens, no_auth=False), TokenAuthenticator)
    assert isinstance(authenticator(None, no_auth=True), NoAuthentication)


def test_a_token_file_with_secrets_that_others_may_read_is_warned_about(tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    tokens = write_token_file(tmp_path / "tokens.yaml")
    tokens.chmod(0o644)
    authenticator(tokens, no_auth=False).announce()
    assert f"the token file {tokens} holds tokens and others may read it: `chmod 600 {tokens}`" in caplog.text
    caplog.clear()
    tokens.chmod(0o600)
    authenticator(tokens, no_auth=False).announce()
    assert "others may read it" not in caplog.text and "bearer tokens of 3 user(s)" in caplog.text
