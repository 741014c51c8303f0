"""What the CLI presents to the hub.

- The bearer token: `--token` (or $FLEETSTAGE_TOKEN), else the first line of `--token-file` (or
  $FLEETSTAGE_TOKEN_FILE), else none (a hub started with `--no-auth` needs none). Prefer the environment
  or a file to `--token`: other users of the machine can see command lines.
- For an `https://` hub: the CA that signed its certificate (`--certificate-authority`, else the system's
  CAs) and, for a hub that requires client certificates, `--client-certificate` and `--client-key`.
"""
from __future__ import annotations

import ssl
from pathlib import Path
from typing import Annotated, Optional

import typer

from cli.errors import CliError

TOKEN_ENV = "FLEETSTAGE_TOKEN"
TOKEN_FILE_ENV = "FLEETSTAGE_TOKEN_FILE"

TokenOpt = Annotated[Optional[str], typer.Option(
    "--token", envvar=TOKEN_ENV, show_default=False,
    help="Bearer token for the hub (prefer the environment variable: command lines are visible).")]
TokenFileOpt = Annotated[Optional[Path], typer.Option(
    "--token-file", envvar=TOKEN_FILE_ENV, help="File whose first line is the bearer token.")]
CertificateAuthorityOpt = Annotated[Optional[Path], typer.Option(
    "--certificate-authority", envvar="FLEETSTAGE_CERTIFICATE_AUTHORITY",
    help="CA certificate of an https hub (default: the system's CAs).")]
ClientCertificateOpt = Annotated[Optional[Path], typer.Option(
    "--client-certificate", envvar="FLEETSTAGE_CLIENT_CERTIFICATE",
    help="Client certificate for a hub that requires one (mutual TLS).")]
ClientKeyOpt = Annotated[Optional[Path], typer.Option(
    "--client-key", envvar="FLEETSTAGE_CLIENT_KEY", help="Key of --client-certificate.")]


def bearer_token(token: str | None, token_file: Path | None) -> str | None:
    """The token to send, or None."""
    if token:
        return token.strip()
    if token_file is None:
        return None
    try:
        lines = token_file.read_text().split("\n")
    except OSError as exc:
        raise CliError(f"error: cannot read the token file {token_file} (--token-file or ${TOKEN_FILE_ENV}): "
                       f"{exc.strerror or exc}") from None
    found = lines[0].strip()
    if not found:
        raise CliError(f"error: the token file {token_file} is empty: put the token on its first line")
    return found


def tls_context(certificate_authority: Path | None, client_certificate: Path | None,
                client_key: Path | None) -> ssl.SSLContext | None:
    """The TLS settings for an https hub; None when no option is given (the system's CAs then apply)."""
    if certificate_authority is None and client_certificate is None and client_key is None:
        return None
    if (client_certificate is None) != (client_key is None):
        raise CliError("error: give both --client-certificate and --client-key (or neither)")
    try:
        context = ssl.create_default_context(cafile=certificate_authority)
    except (OSError, ssl.SSLError) as exc:
        raise CliError(f"error: cannot load --certificate-authority {certificate_authority}: {exc}") from None
    if client_certificate is not None:
        try:
            context.load_cert_chain(client_certificate, client_key)
        except (OSError, ssl.SSLError) as exc:
            raise CliError(f"error: cannot load --client-certificate {client_certificate} with --client-key "
                           f"{client_key}: {exc}") from None
    return context
