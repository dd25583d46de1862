"""A real SMTP server on loopback (aiosmtpd) that records what it accepts, and can refuse or go down.

    with FakeSMTPServer() as smtp:
        smtp.configure(settings)          # EMAIL_* as EMAIL_URL=smtp://127.0.0.1:<port> would set them
        ...
        smtp.stop(); smtp.start()         # an outage and a recovery, on the same port
        smtp.refuse_recipients = {...}    # 550 for these mailboxes
        smtp.drop_at_recipients = {...}   # the connection drops at this RCPT (once each)
        smtp.connections                  # how many SMTP connections carried what was accepted
"""

import socket
import threading
from email import message_from_bytes, policy

import environ
from aiosmtpd.controller import Controller


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Recorder:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.server.drop_at_recipients:
            # The connection goes away before this message is accepted, as a server restarting would.
            self.server.drop_at_recipients.discard(address)
            server.transport.close()
            return "421 4.3.2 Service shutting down"
        if address in self.server.refuse_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.server.data_reply:
            return self.server.data_reply
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.server.lock:
            for rcpt in envelope.rcpt_tos:
                self.server.messages.append((rcpt, message))
                self.server.sessions.append(session.peer)
        return "250 Message accepted for delivery"


class FakeSMTPServer:
    def __init__(self):
        self.port = _free_port()
        self.messages = []
        self.lock = threading.Lock()
        self.refuse_recipients: set[str] = set()
        # Recipients whose RCPT makes the server drop the connection (once each).
        self.drop_at_recipients: set[str] = set()
        # The client's address and port for each accepted message: one entry per SMTP connection in use.
        self.sessions: list = []
        self.data_reply: str | None = None
        self._controller = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def configure(self, settings) -> None:
        for key, value in environ.Env.email_url_config(self.url).items():
            setattr(settings, key, value)
        settings.EMAIL_TIMEOUT = 5

    def start(self) -> None:
        self._controller = Controller(_Recorder(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def connections(self) -> int:
        """How many SMTP connections carried the accepted messages."""
        return len(set(self.sessions))

    def to(self, address: str) -> list:
        return [message for rcpt, message in self.messages if rcpt == address]

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
