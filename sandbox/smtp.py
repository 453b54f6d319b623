"""Local SMTP server that keeps what it receives, so email sending can be tested over a real socket."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from sandbox.faults import Conditions, Fault
from sandbox.server import free_port

REPLIES = {
    421: "421 4.3.2 Service not available",
    450: "450 4.2.1 Mailbox busy",
    451: "451 4.3.0 Try again later",
    452: "452 4.2.2 Mailbox full",
    550: "550 5.1.1 Mailbox unavailable",
    552: "552 5.2.2 Mailbox full",
    553: "553 5.1.3 Bad recipient address syntax",
    554: "554 5.7.1 Message rejected",
}


def reply_for(fault: Fault) -> str:
    """The SMTP reply line for a fault's code (451 unless told otherwise)."""
    code = fault.code or fault.status or 451
    if fault.message:
        return f"{code} {fault.message}"
    return REPLIES.get(code, f"{code} {'4' if code < 500 else '5'}.0.0 Sandbox fault")


@dataclass
class Received:
    """One accepted message with its SMTP envelope."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes = b""
    received_at: float = field(default_factory=time.time)


class Inbox:
    """aiosmtpd handler: applies faults and latency, then parses and keeps each message."""

    def __init__(self, conditions: Conditions) -> None:
        self.conditions = conditions
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self.data_done = 0  # DATA commands answered (or dropped) so far, kept or not

    async def _delay(self, seconds: float | None) -> None:
        """Sleep on the server's loop without blocking other connections."""
        if seconds and seconds > 0:
            await asyncio.sleep(seconds)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        """Refuse the recipient when a fault for the RCPT stage is queued."""
        fault = self.conditions.take("smtp", stage="rcpt")
        if fault is not None:
            await self._delay(fault.hang)
            return reply_for(fault)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Store the message unless a DATA-stage fault says otherwise."""
        await self._delay(self.conditions.delay_for("smtp"))
        fault = self.conditions.take("smtp", stage="data")
        try:
            if fault is None:
                return self._keep(envelope)
            if fault.code or fault.status or not (fault.hang or fault.drop):
                await self._delay(fault.hang)
                return reply_for(fault)
            return await self._interrupt(fault, server, envelope)
        finally:
            with self._lock:
                self.data_done += 1

    async def _interrupt(self, fault: Fault, server: Any, envelope: Any) -> str:
        """The message arrived whole (and is kept when `accept`); the reply never does: a long wait (cut short when
        the client hangs up), or the connection dropped."""
        reply = self._keep(envelope) if fault.accept else REPLIES[451]
        await self._delay(fault.hang)
        if fault.drop:
            server.transport.close()  # no reply: the client sees the connection go
        return reply

    def _keep(self, envelope: Any) -> str:
        """Parse and keep the message; the 250 reply."""
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        received = Received(envelope.mail_from, list(envelope.rcpt_tos), message, raw)
        with self._lock:
            self._received.append(received)
        return "250 2.0.0 Message accepted for delivery"

    @property
    def received(self) -> list[Received]:
        """Snapshot of the messages kept, oldest first."""
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        """Forget every message."""
        with self._lock:
            self._received.clear()
            self.data_done = 0


class SmtpServer:
    """An aiosmtpd Controller on a port chosen up front (its Controller cannot bind port 0)."""

    def __init__(self, inbox: Inbox, host: str, port: int = 0) -> None:
        self.inbox = inbox
        self.host = host
        self.requested_port = port
        self.port = 0
        self._controller: Controller | None = None

    def start(self) -> None:
        """Bind and serve; returns once the server has answered a connection."""
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.port = self.requested_port or free_port(self.host)
        controller = Controller(
            self.inbox, hostname=self.host, port=self.port, server_hostname="smtp.sandbox.test", ready_timeout=10.0
        )
        controller.start()
        self._controller = controller

    @property
    def url(self) -> str:
        """smtp://host:port (plain, no TLS, no AUTH)."""
        return f"smtp://{self.host}:{self.port}"

    def stop(self) -> None:
        """Stop the loop thread and close the listening socket."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
