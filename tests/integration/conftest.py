"""Shared fixtures of the integration tests: a local SMTP server (aiosmtpd) with STARTTLS."""

from __future__ import annotations

import email
import ssl
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from tests.support.certs import TestCA
from tests.support.processes import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.tls: list[bool] = []

    async def handle_DATA(self, _server: object, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[arg-type]
        self.tls.append(session.ssl is not None)
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[tuple[Inbox, int, Path]]:
    ca = TestCA(tmp_path)
    issued = ca.issue("smtp.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(issued.cert_file, issued.key_file)
    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    yield inbox, port, ca.ca_file
    controller.stop()


def mailing_statement_config(root: Path, port: int, ca_file: Path) -> dict[str, object]:
    """The config's ``statement`` section: the scenario's key, e-mail through the local
    server (STARTTLS, its certificate checked against the test CA)."""
    return {
        "signing_key_file": str(root / "statement-key.pem"),
        "email": {
            "host": "127.0.0.1",
            "port": port,
            "sender": "reserve@regulator.test",
            "ca_file": str(ca_file),
        },
    }
