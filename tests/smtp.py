"""A real SMTP server on a local port, for the e-mail delivery tests.

It speaks enough of RFC 5321 for smtplib (greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), keeps every message it accepted, and can turn away the first connections with
``421 try again later``, as a busy or restarting mail server does. Python 3.12 has no ``smtpd``;
this is the few lines the tests need, over real sockets.
"""

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data)


@dataclass
class MailServerState:
    refuse_first: int = 0
    connections: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        state: MailServerState = self.server.state  # type: ignore[attr-defined]
        with state.lock:
            state.connections += 1
            refuse = state.connections <= state.refuse_first
        if refuse:
            self.reply("421 4.3.2 Service not available, try again later")
            return
        self.reply("220 localhost ESMTP test server")
        sender, recipients = "", []
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode("utf-8", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 localhost")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip().strip("<>").split(">")[0], []
                self.reply("250 2.1.0 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self.reply("250 2.1.5 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                lines = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                with state.lock:
                    state.received.append(Received(sender, recipients, b"".join(lines)))
                self.reply("250 2.0.0 Queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 5.5.2 Command not implemented")


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class MailServer:
    """``with MailServer(refuse_first=1) as server:`` listens on ``server.port`` until the block ends."""

    def __init__(self, *, refuse_first: int = 0, port: int = 0):
        self.state = MailServerState(refuse_first=refuse_first)
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.state = self.state  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "MailServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def received(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.received)

    @property
    def connections(self) -> int:
        with self.state.lock:
            return self.state.connections
