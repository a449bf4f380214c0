"""Upstream connectivity: a custom CA bundle and a client certificate (mTLS) per consumed API,
and client-credentials tokens renewed once on a 401."""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .conftest import Builder, FakeUpstream
from .test_auth import document, get_things

pytestmark = pytest.mark.anyio


def _issue(
    folder: Path, name: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A certificate (a CA when `issuer` is None) and its key, written as name.pem/name.key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
    )
    if issuer is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
    else:
        usage = (
            ExtendedKeyUsageOID.SERVER_AUTH if name == "server" else ExtendedKeyUsageOID.CLIENT_AUTH
        )
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), False)
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
    certificate = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    (folder / f"{name}.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / f"{name}.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return certificate, key


class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        peer = self.connection.getpeercert()
        body = json.dumps({"peer": peer["subject"][0][0][1]}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mtls_upstream(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on loopback that requires a client certificate from the test CA."""
    ca = _issue(tmp_path, "ca", None)
    _issue(tmp_path, "server", ca)
    _issue(tmp_path, "client", ca)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=tmp_path / "ca.pem")
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/v1", tmp_path
    finally:
        server.shutdown()
        server.server_close()


async def test_upstream_requiring_a_client_certificate(
    build: Builder, mtls_upstream: tuple[str, Path]
) -> None:
    base_url, pki = mtls_upstream
    cap = build(document("", binds=""), env={"API_BASE_URL": base_url})
    env = {
        "API_BASE_URL": base_url,
        "API_CA_BUNDLE": str(pki / "ca.pem"),
        "API_CLIENT_CERT": str(pki / "client.pem"),
        "API_CLIENT_KEY": str(pki / "client.key"),
    }
    outcomes = {}
    for case, unset in (("with", ()), ("without", ("API_CLIENT_CERT", "API_CLIENT_KEY"))):
        settings = cap.load_settings({k: v for k, v in env.items() if k not in unset})
        clients = cap.modules["upstream"].Clients(settings)
        try:
            app = cap.modules["rest"].create_app(clients)
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://t") as http:
                outcomes[case] = await http.get("/things")
        finally:
            await clients.aclose()
    assert outcomes["with"].status_code == 200, outcomes["with"].text
    assert outcomes["with"].json() == {"peer": "client"}
    assert outcomes["without"].status_code == 502, outcomes["without"].text
    assert "client" not in outcomes["without"].text


async def test_client_credentials_token_renewed_once_on_401(
    build: Builder, upstream: FakeUpstream
) -> None:
    minted: list[str] = []
    accepted = {"minted-1"}

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.host == "auth.example.com":
            minted.append(f"minted-{len(minted) + 1}")
            return httpx2.Response(200, json={"access_token": minted[-1], "expires_in": 3600})
        if request.headers.get("authorization", "").removeprefix("Bearer ") in accepted:
            return httpx2.Response(200, json={"ok": True})
        return httpx2.Response(401, json={"error": "invalid_token"})

    upstream.handler = handler
    text = document(
        """
        authentication:
          type: oauth2
          authorizationServerUri: "https://auth.example.com"
          tokenEndpoint: "https://auth.example.com/oauth/token"
        """,
        binds="",
    )
    cap = build(text, env={"API_CLIENT_ID": "client-a", "API_CLIENT_SECRET": "shh"})
    await get_things(cap)
    accepted = {"minted-2"}  # minted-1 revoked before its expiry
    await get_things(cap)
    assert minted == ["minted-1", "minted-2"]
    accepted = set()
    async with cap.rest() as http:
        refused = await http.get("/things")
    assert refused.status_code == 401  # the renewed token is refused too: no third try
    assert minted == ["minted-1", "minted-2", "minted-3"]


def test_an_unreadable_tls_file_is_a_settings_error(build: Builder, tmp_path: Path) -> None:
    cap = build(document("", binds=""))
    missing = tmp_path / "absent-ca.pem"
    settings = cap.load_settings({"API_CA_BUNDLE": str(missing)})
    with pytest.raises(cap.errors.SettingsError) as raised:
        cap.modules["upstream"].Clients(settings)
    assert str(raised.value) == (
        f"cannot start: the TLS files {str(missing)!r} cannot be loaded: No such file or directory"
    )
