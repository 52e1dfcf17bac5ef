"""The fault tests' network peers: a TCP proxy a test can cut or turn into a black hole (``TcpProxy``), and an
SMTP server that accepts, refuses, stalls or hangs up on request (``SmtpSink``), counting what it accepted by
Message-ID.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from collections import Counter
from email import message_from_bytes

from aiosmtpd.controller import Controller

from .fixtures_jobs import free_port

# --- A TCP proxy that a test can cut ----------------------------------------------------------------------


def _reset(sock: socket.socket) -> None:
    """End the connection at once, as a crashed host looks to the other end.

    ``shutdown`` first: closing a socket another thread is blocked reading leaves the connection open in the
    kernel until that read returns, so the other end (a PostgreSQL backend holding locks) would never know.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to ``target_port``. Modes: ``forward``; ``reset`` (every connection, new
    or open, is reset: the service is unreachable); ``blackhole`` (connections are accepted and never
    answered: the service hangs). ``restore()`` goes back to forwarding."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.mode = "forward"
        self.connections_seen = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept_loop, name=f"proxy-{self.port}", daemon=True)
        self._thread.start()

    def cut(self) -> None:
        with self._lock:
            self.mode = "reset"
            for sock in list(self._open):
                _reset(sock)
            self._open.clear()

    def blackhole(self) -> None:
        self.cut()
        self.mode = "blackhole"

    def restore(self) -> None:
        self.cut()  # whatever hung in the black hole is let go
        self.mode = "forward"

    def close(self) -> None:
        self._closed.set()
        self.cut()
        self._thread.join(5)
        self.listener.close()

    def _accept_loop(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections_seen += 1
            if self.mode == "reset":
                _reset(client)
            elif self.mode == "blackhole":
                with self._lock:
                    self._open.add(client)
            else:
                threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        upstream.settimeout(None)
        with self._lock:
            if self.mode != "forward":
                _reset(client)
                _reset(upstream)
                return
            self._open.update((client, upstream))
        for source, sink in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        finally:
            with self._lock:
                for sock in (source, sink):
                    if sock in self._open:
                        self._open.discard(sock)
                        _reset(sock) if self.mode == "reset" else sock.close()


# --- An SMTP server that misbehaves on request ------------------------------------------------------------


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sink.mode == "refuse":
            self.sink.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.sink.data_started += 1
        if self.sink.accept_delay:  # a server that takes its time (scanning, a slow disk) before it accepts
            await asyncio.sleep(self.sink.accept_delay)
        message = message_from_bytes(envelope.content)
        with self.sink.lock:  # accepted from here on, as a real server has queued it when it says 250
            self.sink.messages.append((list(envelope.rcpt_tos), message))
        if self.sink.mode == "hold-reply":
            # Queued here, but the client has not heard so yet: its "250" is held until the test lets go.
            await self._hold()
        return "250 Message accepted for delivery"

    async def _hold(self) -> None:
        self.sink.holding.set()
        for _ in range(600):  # bounded: 30 s
            if self.sink.released.is_set():
                break
            await asyncio.sleep(0.05)

    async def handle_QUIT(self, server, session, envelope):
        if self.sink.mode == "hold-quit":
            await self._hold()  # the message is accepted; the goodbye is held until the test lets go
        return "221 Bye"


class SmtpSink:
    """An SMTP server on a port of its own, behind a ``TcpProxy``; apps are pointed at ``port``.

    ``mode``: ``accept``; ``refuse`` (451 to every recipient); ``hold-quit`` (accept the message, then hold
    the reply to QUIT until ``release()``); ``hold-reply`` (queue the message, then hold its "250" until
    ``release()``: the client cannot know it was accepted); ``stall`` (connections accepted, never answered); ``down``
    (connections reset). ``accept_delay`` slows every acceptance down, to make a batch last a while.
    """

    def __init__(self):
        self.messages: list[tuple[list[str], object]] = []
        self.lock = threading.Lock()
        self.refused = 0
        self.data_started = 0  # messages whose content has begun to arrive, accepted or not (yet)
        self.accept_delay = 0.0
        self.holding = threading.Event()
        self.released = threading.Event()
        self._mode = "accept"
        self.controller = Controller(_Handler(self), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.proxy = TcpProxy(self.controller.port)
        self.port = self.proxy.port

    @property
    def mode(self) -> str:
        return self._mode

    @mode.setter
    def mode(self, mode: str) -> None:
        assert mode in ("accept", "refuse", "hold-quit", "hold-reply", "stall", "down"), mode
        self._mode = mode
        if mode == "stall":
            self.proxy.blackhole()
        elif mode == "down":
            self.proxy.cut()
        else:
            self.proxy.restore() if self.proxy.mode != "forward" else None
            self.holding.clear()
            self.released.clear()

    def release(self) -> None:
        self.released.set()

    def message_ids(self) -> Counter:
        with self.lock:
            return Counter(message["Message-ID"] for _, message in self.messages)

    def received(self) -> int:
        with self.lock:
            return len(self.messages)

    def close(self) -> None:
        self.released.set()
        self.proxy.close()
        self.controller.stop()
