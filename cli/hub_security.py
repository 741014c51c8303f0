"""The security options of the commands that serve the API (`fleetstage hub`, `api`, `up`).

Who may use the API: `--token-auth-file FILE` (hub.tokens) or, explicitly, `--no-auth`. TLS (hub.tls):
`--tls-cert-file` and `--tls-private-key-file` serve HTTPS; `--client-ca-file` also requires client
certificates signed by that CA (mutual TLS).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from cli.errors import CliError

if TYPE_CHECKING:
    from hub.runner import HubSettings

TokenAuthFileOpt = Annotated[Optional[Path], typer.Option(
    "--token-auth-file", help="YAML file of the API's users: token, name, roles (`fleetstage token create`).")]
NoAuthOpt = Annotated[bool, typer.Option("--no-auth", help="Serve the API without authentication (local demos only).")]
TlsCertFileOpt = Annotated[Optional[Path], typer.Option(
    "--tls-cert-file", help="Serve HTTPS with this certificate (PEM; with --tls-private-key-file).")]
TlsPrivateKeyFileOpt = Annotated[Optional[Path], typer.Option(
    "--tls-private-key-file", help="The key of --tls-cert-file (PEM).")]
ClientCaFileOpt = Annotated[Optional[Path], typer.Option(
    "--client-ca-file", help="Require client certificates signed by this CA (mutual TLS).")]


def secure(settings: HubSettings, *, token_auth_file: Path | None, no_auth: bool, tls_cert_file: Path | None = None,
           tls_private_key_file: Path | None = None, client_ca_file: Path | None = None) -> None:
    """Set `settings.auth` and `settings.tls` from the options; a CliError when they do not fit."""
    from hub.auth import AuthSetupError, authenticator
    from hub.tls import TlsSetupError, tls_settings

    try:
        settings.auth = authenticator(token_auth_file, no_auth=no_auth)
        settings.tls = tls_settings(tls_cert_file, tls_private_key_file, client_ca_file)
    except (AuthSetupError, TlsSetupError) as exc:
        raise CliError(f"error: {exc}") from None
