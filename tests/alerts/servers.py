"""Real local servers standing in for alert receivers: an HTTP server (playing Slack, SendGrid,
Twilio or a customer's webhook endpoint) and an SMTP server (aiosmtpd) with STARTTLS and AUTH."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import re
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


Responder = Callable[[Received], tuple[int, bytes]]


@dataclass
class HttpReceiver:
    """An HTTP server on 127.0.0.1 recording every request. `fail_next(500, 2)` answers the next two
    requests with 500; `stop()` then `start()` takes it down and back up on the same port."""

    responder: Responder
    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)
    _failures: deque[int] = field(default_factory=deque)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, status: int, times: int = 1) -> None:
        self._failures.extend([status] * times)

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if 200 <= r.status < 300]

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                received = Received(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body, 0
                )
                if receiver._failures:
                    status, reply = receiver._failures.popleft(), b'{"error":"try later"}'
                else:
                    status, reply = receiver.responder(received)
                received.status = status
                with receiver._lock:
                    receiver.requests.append(received)
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


# --- the providers' answers ---


def slack_responder(received: Received) -> tuple[int, bytes]:
    payload = received.json()
    if "text" not in payload or "blocks" not in payload:
        return 400, b"invalid_payload"
    return 200, b"ok"


def sendgrid_responder(api_key: str) -> Responder:
    def respond(received: Received) -> tuple[int, bytes]:
        if received.path != "/v3/mail/send":
            return 404, b"{}"
        if received.headers.get("authorization") != f"Bearer {api_key}":
            return 401, b'{"errors":[{"message":"unauthorized"}]}'
        return 202, b""

    return respond


def twilio_responder(account_sid: str, auth_token: str) -> Responder:
    import base64

    expected = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()

    def respond(received: Received) -> tuple[int, bytes]:
        if received.path != f"/2010-04-01/Accounts/{account_sid}/Messages.json":
            return 404, b"{}"
        if received.headers.get("authorization") != expected:
            return 401, b'{"code":20003,"message":"Authenticate"}'
        form = received.form()
        return 201, json.dumps({"sid": "SM" + "0" * 32, "to": form.get("To"), "status": "queued"}).encode()

    return respond


DOCS = Path(__file__).resolve().parents[2] / "docs" / "alerts.md"


def documented_verify() -> Callable[[str, dict[str, str], bytes], bool]:
    """The `verify` function docs/alerts.md gives webhook receivers, taken from the page itself."""
    text = DOCS.read_text()
    block = re.search(r"```python\n(.*?def verify\(.*?)```", text, re.S)
    assert block is not None, "docs/alerts.md lost its verify() example"
    namespace: dict[str, Any] = {}
    exec(compile(block.group(1), str(DOCS), "exec"), namespace)
    verify: Callable[[str, dict[str, str], bytes], bool] = namespace["verify"]
    return verify


def webhook_responder(secret: str) -> Responder:
    """A customer's receiver: verifies the signature with the code docs/alerts.md tells them to use."""
    verify = documented_verify()

    def respond(received: Received) -> tuple[int, bytes]:
        headers = {
            "X-Finops-Timestamp": received.headers.get("x-finops-timestamp", "0"),
            "X-Finops-Signature": received.headers.get("x-finops-signature", ""),
        }
        if not verify(secret, headers, received.body):
            return 401, b'{"error":"bad signature"}'
        return 200, b'{"ok":true}'

    return respond


# --- SMTP ---


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class SmtpServer:
    """aiosmtpd on 127.0.0.1 requiring STARTTLS and AUTH with one username/password."""

    cert_dir: Path
    username: str = "alerts@example.test"
    password: str = "smtp-password-123"
    port: int = field(default_factory=free_port)
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _controller: Controller | None = None

    def start(self) -> None:
        cert, key = self_signed_cert(self.cert_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        server = self

        class Handler:
            async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
                content = envelope.original_content or envelope.content or b""
                assert isinstance(content, bytes)
                message = email.message_from_bytes(content, policy=email.policy.default)
                assert isinstance(message, EmailMessage)
                server.messages.append(message)
                server.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
                return "250 OK"

        def authenticate(
            _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and data.login.decode() == self.username
                and data.password.decode() == self.password
            )
            # handled=False: let the server answer "535" itself on a failure.
            return AuthResult(success=ok, handled=False)

        self._controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            authenticator=authenticate,
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
