"""HTTPS and mutual TLS of the hub (`--tls-cert-file`, `--tls-private-key-file`, `--client-ca-file`) and the
client's `--certificate-authority`, `--client-certificate`, `--client-key`; certificates made with openssl."""
from __future__ import annotations

import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from hub.tls import TlsSetupError, tls_settings
from tests.cli.procs import BIN, TIMEOUT, free_port
from tests.security.test_cli_auth import fleetstage

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=TIMEOUT)


def make_pki(root: Path) -> Path:
    """ca.pem/ca.key, server.pem/server.key (for 127.0.0.1) and client.pem/client.key, signed by the CA."""
    root.mkdir()
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=test-ca",
            cwd=root)
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        (root / f"{name}.ext").write_text(extension + "\n")
        openssl("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=root)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", f"{name}.pem", "-days", "1", "-extfile", f"{name}.ext", cwd=root)
    return root


def wait_https(url: str, process: subprocess.Popen[bytes], pki: Path, log: Path) -> None:
    context = ssl.create_default_context(cafile=pki / "ca.pem")
    context.load_cert_chain(pki / "client.pem", pki / "client.key")
    deadline = time.monotonic() + TIMEOUT
    while True:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/healthz", verify=context, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            assert time.monotonic() < deadline, f"{url} never answered:\n{log.read_text()}"
            time.sleep(0.1)


def test_a_hub_with_mutual_tls_answers_only_clients_with_a_certificate(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    token = fleetstage("token", "create", "vic", "--role", "viewer", cwd=tmp_path).stdout.strip()
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    log = tmp_path / "hub.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(BIN / "fleetstage"), "hub", "--port", str(port), "--data-dir", str(tmp_path / "data"),
             "--token-auth-file", str(tmp_path / "tokens.yaml"), "--tls-cert-file", str(pki / "server.pem"),
             "--tls-private-key-file", str(pki / "server.key"), "--client-ca-file", str(pki / "ca.pem")],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_https(url, process, pki, log)
        env = {"FLEETSTAGE_SERVER": url, "FLEETSTAGE_TOKEN": token}
        trusted = ["--certificate-authority", str(pki / "ca.pem")]
        with_cert = [*trusted, "--client-certificate", str(pki / "client.pem"), "--client-key", str(pki / "client.key")]
        listed = fleetstage(*with_cert, "get", "namespaces", env=env)
        assert listed.returncode == 0 and listed.stderr == "No resources found.\n", listed.stderr
        no_cert = fleetstage(*trusted, "get", "namespaces", env=env)
        assert no_cert.returncode == 1 and no_cert.stderr.startswith(f"error: cannot reach the fleetstage hub at {url}")
        untrusted = fleetstage("--client-certificate", str(pki / "client.pem"), "--client-key", str(pki / "client.key"),
                               "get", "namespaces", env=env)
        assert untrusted.returncode == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=TIMEOUT) == 0, log.read_text()
    assert f"fleetstage API on https://127.0.0.1:{port}" in log.read_text()


def test_tls_options_must_come_in_pairs_and_load(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki")
    assert tls_settings(None, None, None) is None
    with pytest.raises(TlsSetupError, match="give both --tls-cert-file and --tls-private-key-file"):
        tls_settings(pki / "server.pem", None, None)
    with pytest.raises(TlsSetupError, match="--client-ca-file needs --tls-cert-file"):
        tls_settings(None, None, pki / "ca.pem")
    with pytest.raises(TlsSetupError, match="cannot load the certificate .*server.pem with the key .*client.key"):
        tls_settings(pki / "server.pem", pki / "client.key", None)
    with pytest.raises(TlsSetupError, match="cannot load the client CA .*nope.pem"):
        tls_settings(pki / "server.pem", pki / "server.key", tmp_path / "nope.pem")
    mutual = tls_settings(pki / "server.pem", pki / "server.key", pki / "ca.pem")
    assert mutual is not None and mutual.uvicorn_options()["ssl_cert_reqs"] == ssl.CERT_REQUIRED
    half = fleetstage("--client-certificate", str(pki / "client.pem"), "get", "namespaces")
    assert half.returncode == 1
    assert half.stderr == "error: give both --client-certificate and --client-key (or neither)\n"
