"""The socket (or serial port) of one vehicle link, reopened after failures.

Every transport hands raw bytes to ``on_data`` synchronously on the event loop and never blocks on
sending: a vehicle that stops reading loses datagrams, it does not stall the station.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from ground_station.links.urls import LinkEndpoint, LinkKind

log = logging.getLogger(__name__)

OnData = Callable[[bytes], None]
RECONNECT_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 5.0)
_Opened = TypeVar("_Opened")


async def open_with_backoff(
    open_link: Callable[[], Awaitable[_Opened]], url: str, *, verb: str, level: int
) -> _Opened:
    """Retries until the link opens, waiting longer after each failure: a vehicle that is not there
    yet costs a wake-up every few seconds, and one that comes back is picked up within one delay."""
    attempt = 0
    while True:
        try:
            return await open_link()
        except OSError as exc:
            delay = RECONNECT_DELAYS_S[min(attempt, len(RECONNECT_DELAYS_S) - 1)]
            log.log(level, "cannot %s %s (%s); retrying in %.1f s", verb, url, exc, delay)
            attempt += 1
            await asyncio.sleep(delay)


class Transport(Protocol):
    stream: bool

    async def run(self, on_data: OnData) -> None:
        """Opens the link, delivers data and reopens it after errors until cancelled."""
        ...

    def send(self, data: bytes) -> None: ...

    @property
    def local_address(self) -> tuple[str, int] | None: ...


class UdpTransport:
    """udpin: listen and answer the last sender; udpout: send to a fixed address.

    Reads with its own non-blocking socket and drains up to ``READ_BATCH`` datagrams per wake-up
    X: at ~400 datagrams/s per PX4 vehicle the
    per-iteration overhead would otherwise cost more than the parsing. The batch bound keeps links fair
    and bounds how long one loop iteration spends ingesting (50 links x 16 datagrams ~ 10 ms), so the
    WebSocket senders get the loop between bursts (a bound of 64 gave 40-50 ms stalls in bench_station).
    """

    stream = False
    READ_BATCH = 16

    def __init__(self, endpoint: LinkEndpoint) -> None:
        self.endpoint = endpoint
        self._sock: socket.socket | None = None
        self._peer: tuple[str, int] | None = (
            (endpoint.host, endpoint.port) if endpoint.kind is LinkKind.UDPOUT else None
        )
        self._bound = asyncio.Event()

    @property
    def local_address(self) -> tuple[str, int] | None:
        if self._sock is None:
            return None
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def peer(self) -> tuple[str, int] | None:
        return self._peer

    async def wait_bound(self) -> None:
        await self._bound.wait()

    async def _open(self) -> socket.socket:
        if self.endpoint.kind is LinkKind.UDPIN:
            local = (self.endpoint.host, self.endpoint.port)
        else:
            local = ("127.0.0.1" if self.endpoint.host.startswith("127.") else "0.0.0.0", 0)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            sock.bind(local)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        return sock

    async def run(self, on_data: OnData) -> None:
        loop = asyncio.get_running_loop()
        while True:
            sock = await open_with_backoff(self._open, self.endpoint.url, verb="open", level=logging.WARNING)
            failed: asyncio.Future[None] = loop.create_future()
            is_udpin = self.endpoint.kind is LinkKind.UDPIN

            def readable(
                sock: socket.socket = sock, failed: asyncio.Future[None] = failed, is_udpin: bool = is_udpin
            ) -> None:
                for _ in range(self.READ_BATCH):
                    try:
                        data, addr = sock.recvfrom(65536)
                    except (BlockingIOError, InterruptedError):
                        return
                    except ConnectionRefusedError:
                        continue  # ICMP from a udpout peer that is not listening yet
                    except OSError as exc:
                        if not failed.done():
                            failed.set_exception(exc)
                        return
                    if is_udpin:
                        self._peer = addr
                    try:
                        on_data(data)
                    except Exception:  # ingest must survive any bug a hostile datagram could trigger
                        log.exception("error while handling a datagram from %s", addr)

            self._sock = sock
            loop.add_reader(sock.fileno(), readable)
            self._bound.set()
            try:
                await failed
            except OSError as exc:
                log.warning("link %s socket failed (%s); reopening", self.endpoint.url, exc)
            finally:
                loop.remove_reader(sock.fileno())
                sock.close()
                self._sock = None

    def send(self, data: bytes) -> None:
        if self._sock is not None and self._peer is not None:
            with contextlib.suppress(BlockingIOError, InterruptedError, ConnectionRefusedError, OSError):
                self._sock.sendto(data, self._peer)


class TcpTransport:
    stream = True

    def __init__(self, endpoint: LinkEndpoint) -> None:
        self.endpoint = endpoint
        self._writer: asyncio.StreamWriter | None = None

    @property
    def local_address(self) -> tuple[str, int] | None:
        if self._writer is None:
            return None
        host, port = self._writer.get_extra_info("sockname")[:2]
        return str(host), int(port)

    async def run(self, on_data: OnData) -> None:
        while True:
            reader, self._writer = await open_with_backoff(
                lambda: asyncio.open_connection(self.endpoint.host, self.endpoint.port),
                self.endpoint.url,
                verb="connect",
                level=logging.INFO,
            )
            try:
                while data := await reader.read(65536):
                    on_data(data)
            except OSError as exc:
                log.warning("link %s lost: %s", self.endpoint.url, exc)
            finally:
                writer, self._writer = self._writer, None
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
            await asyncio.sleep(RECONNECT_DELAYS_S[0])

    def send(self, data: bytes) -> None:
        if self._writer is not None and not self._writer.is_closing():
            if self._writer.transport.get_write_buffer_size() < 1 << 20:
                self._writer.write(data)


class SerialTransport:
    """A tty in raw mode driven by the event loop's reader (no extra dependency, POSIX only)."""

    stream = True

    MAX_BUFFERED_BYTES = 1 << 20
    """Like the TCP link's cap: beyond it a whole frame is dropped (and counted), never half of one."""

    def __init__(self, endpoint: LinkEndpoint) -> None:
        self.endpoint = endpoint
        self._fd: int | None = None
        self._out = bytearray()
        self._writer_armed = False
        self.frames_dropped = 0

    @property
    def local_address(self) -> tuple[str, int] | None:
        return None

    async def _open(self) -> int:
        import termios
        import tty

        fd = os.open(self.endpoint.device, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        speed = getattr(termios, f"B{self.endpoint.baud}", None)
        if speed is None:
            os.close(fd)
            raise OSError(f"unsupported baud rate {self.endpoint.baud}")
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        return fd

    async def run(self, on_data: OnData) -> None:
        loop = asyncio.get_running_loop()
        while True:
            fd = await open_with_backoff(self._open, self.endpoint.url, verb="open", level=logging.INFO)
            self._fd = fd
            failed: asyncio.Future[None] = loop.create_future()

            def readable(fd: int = fd, failed: asyncio.Future[None] = failed) -> None:
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    return
                except OSError as exc:
                    if not failed.done():
                        failed.set_exception(exc)
                    return
                if data:
                    on_data(data)

            loop.add_reader(fd, readable)
            try:
                await failed
            except OSError as exc:
                log.warning("serial link %s lost: %s", self.endpoint.url, exc)
            finally:
                loop.remove_reader(fd)
                if self._writer_armed:
                    loop.remove_writer(fd)
                    self._writer_armed = False
                self._out.clear()
                os.close(fd)
                self._fd = None

    def send(self, data: bytes) -> None:
        """Queues a whole frame and writes what the tty takes now; the rest goes when it is writable.

        ``os.write`` on a non-blocking tty may take only part of the bytes (or none: EAGAIN) once the
        driver's buffer is full, at 57600 baud after a few hundred bytes. Ignoring its return value cut
        frames in half on the wire; here the remainder waits, in order, for the fd to become writable."""
        if self._fd is None:
            return
        if len(self._out) + len(data) > self.MAX_BUFFERED_BYTES:
            self.frames_dropped += 1
            return
        self._out += data
        self._flush()

    def _flush(self) -> None:
        fd = self._fd
        while fd is not None and self._out:
            try:
                written = os.write(fd, self._out)
            except BlockingIOError:
                break
            except OSError as exc:
                log.warning(
                    "serial link %s: write failed, %d bytes dropped: %s",
                    self.endpoint.url,
                    len(self._out),
                    exc,
                )
                self._out.clear()
                break
            del self._out[:written]
        self._arm_writer(fd is not None and bool(self._out))

    def _arm_writer(self, wanted: bool) -> None:
        if wanted == self._writer_armed or self._fd is None:
            return
        loop = asyncio.get_running_loop()
        if wanted:
            loop.add_writer(self._fd, self._flush)
        else:
            loop.remove_writer(self._fd)
        self._writer_armed = wanted


def make_transport(endpoint: LinkEndpoint) -> UdpTransport | TcpTransport | SerialTransport:
    if endpoint.kind in (LinkKind.UDPIN, LinkKind.UDPOUT):
        return UdpTransport(endpoint)
    if endpoint.kind is LinkKind.TCP:
        return TcpTransport(endpoint)
    return SerialTransport(endpoint)
