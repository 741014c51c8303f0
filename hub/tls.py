"""TLS for the hub API (optional): HTTPS with a server certificate and, with a client CA, mutual TLS.

`--tls-cert-file` / `--tls-private-key-file` serve HTTPS (bearer tokens then never cross the network in
clear); `--client-ca-file` also requires every client to present a certificate signed by that CA (the
handshake fails otherwise). Identity and roles still come from the bearer token (hub.auth).
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class TlsSetupError(ValueError):
    """The TLS options are incomplete, or a certificate or key cannot be loaded."""


@dataclass(frozen=True)
class TlsSettings:
    cert_file: Path
    key_file: Path
    client_ca_file: Path | None = None

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments of uvicorn.Config that serve HTTPS (and require client certificates)."""
        options: dict[str, Any] = {"ssl_certfile": str(self.cert_file), "ssl_keyfile": str(self.key_file)}
        if self.client_ca_file is not None:
            options.update(ssl_ca_certs=str(self.client_ca_file), ssl_cert_reqs=ssl.CERT_REQUIRED)
        return options


def tls_settings(cert_file: Path | None, key_file: Path | None, client_ca_file: Path | None) -> TlsSettings | None:
    """The TLS of the options (None: plain HTTP), checked by loading the files now."""
    if cert_file is None and key_file is None:
        if client_ca_file is not None:
            raise TlsSetupError("--client-ca-file needs --tls-cert-file and --tls-private-key-file (mutual TLS "
                                "is TLS with client certificates)")
        return None
    if cert_file is None or key_file is None:
        raise TlsSetupError("give both --tls-cert-file and --tls-private-key-file to serve HTTPS")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert_file, key_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsSetupError(f"cannot load the certificate {cert_file} with the key {key_file}: {exc}") from None
    if client_ca_file is not None:
        try:
            context.load_verify_locations(cafile=client_ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise TlsSetupError(f"cannot load the client CA {client_ca_file} (--client-ca-file): {exc}") from None
    return TlsSettings(cert_file, key_file, client_ca_file)
