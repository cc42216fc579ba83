"""A pole camera served as MJPEG over HTTP, rendered only while at least one client is connected.

Routes: ``GET /stream.mjpg`` (also ``/``) the live multipart stream; ``GET /snapshot.jpg`` one frame.
All clients of a camera share one render loop; a slow client gets the newest frame, never a backlog.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import cv2

from sim.camera.feed import CameraFeed, FeedSnapshot
from sim.camera.metadata import FrameMetadata, capture_time_header
from sim.camera.mjpeg import CAPTURE_TIME_HEADER, META_HEADER, MJPEG_BOUNDARY, format_part
from sim.camera.spec import StreamDemand

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 5.0
MAX_REQUEST_BYTES = 8192


class MjpegCameraServer:
    def __init__(self, feed: CameraFeed, *, host: str, port: int, jpeg_quality: int = 80) -> None:
        self.feed = feed
        self.host = host
        self._requested_port = port
        self.port = 0
        self.jpeg_quality = jpeg_quality
        self.frames_rendered = 0
        self.frame_errors = 0
        self._clients: set[asyncio.Queue[bytes]] = set()
        self._server: asyncio.Server | None = None
        self._producer: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cam-{feed.spec.id}")

    @property
    def stream_url(self) -> str:
        return f"http://{self.host}:{self.port}/stream.mjpg"

    @property
    def rendering(self) -> bool:
        return self._producer is not None and not self._producer.done()

    @property
    def client_count(self) -> int:
        return len(self._clients)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self._requested_port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        if self.feed.spec.demand is StreamDemand.ALWAYS:
            self._ensure_producer()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._stop_producer()
        self._executor.shutdown(wait=True)

    async def _stop_producer(self) -> None:
        if self._producer is not None:
            self._producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._producer
            self._producer = None

    def _ensure_producer(self) -> None:
        if not self.rendering:
            self._producer = asyncio.create_task(
                self._produce_loop(), name=f"mjpeg-camera-{self.feed.spec.id}"
            )

    def _encode(self, snap: FeedSnapshot) -> bytes:
        captured = self.feed.render(snap)
        ok, jpeg = cv2.imencode(".jpg", captured.image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise RuntimeError(f"camera {self.feed.spec.id}: JPEG encoding failed")
        return format_part(jpeg.tobytes(), _part_headers(captured.metadata))

    async def _produce_loop(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.feed.spec.fps
        deadline = time.monotonic()
        while self._clients or self.feed.spec.demand is StreamDemand.ALWAYS:
            try:
                part = await loop.run_in_executor(self._executor, self._encode, self.feed.snapshot())
            except Exception:
                # A bug or a bad scene value must not kill the camera for good: say so, retry.
                log.exception("camera %s: frame failed", self.feed.spec.id)
                self.frame_errors += 1
                await asyncio.sleep(1.0)
                deadline = time.monotonic()
                continue
            self.frames_rendered += 1
            for queue in list(self._clients):
                if queue.full():
                    queue.get_nowait()  # drop the stale frame: clients get the newest
                queue.put_nowait(part)
            deadline += period
            delay = deadline - time.monotonic()
            if delay < -period:
                deadline = time.monotonic()
                delay = 0.0
            await asyncio.sleep(max(delay, 0.0))
        log.info("camera %s: last client left, stream idle", self.feed.spec.id)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            try:
                request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT_S)
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
                await _respond(
                    writer, 400, "Bad Request", "request headers incomplete, too long or too slow\n"
                )
                return
            if len(request) > MAX_REQUEST_BYTES:
                await _respond(writer, 431, "Request Header Fields Too Large", "request headers too long\n")
                return
            parts = request.split(b"\r\n", 1)[0].decode("latin-1").split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                await _respond(writer, 400, "Bad Request", "malformed request line\n")
                return
            method, target = parts[0], parts[1].split("?", 1)[0]
            if method != "GET":
                await _respond(writer, 405, "Method Not Allowed", "only GET\n", extra="Allow: GET\r\n")
            elif target in ("/", "/stream.mjpg"):
                await self._stream(writer)
            elif target == "/snapshot.jpg":
                await self._snapshot(writer)
            else:
                await _respond(writer, 404, "Not Found", "routes: /stream.mjpg, /snapshot.jpg\n")
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        writer.write(
            (
                "HTTP/1.1 200 OK\r\n"
                f"Content-Type: multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}\r\n"
                "Cache-Control: no-cache, no-store\r\n"
                "Connection: close\r\n\r\n"
            ).encode("ascii")
        )
        queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)
        self._clients.add(queue)
        self._ensure_producer()
        try:
            await writer.drain()
            while True:
                part = await queue.get()
                writer.write(part)
                await writer.drain()
        finally:
            self._clients.discard(queue)

    async def _snapshot(self, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        captured = await loop.run_in_executor(self._executor, self.feed.render, self.feed.snapshot())
        ok, jpeg = cv2.imencode(".jpg", captured.image, [cv2.IMWRITE_JPEG_QUALITY, self.jpeg_quality])
        if not ok:
            raise RuntimeError(f"camera {self.feed.spec.id}: JPEG encoding failed")
        body = jpeg.tobytes()
        headers = "".join(f"{k}: {v}\r\n" for k, v in _part_headers(captured.metadata).items())
        writer.write(
            (
                "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                f"Content-Length: {len(body)}\r\n{headers}Connection: close\r\n\r\n"
            ).encode("ascii")
            + body
        )
        await writer.drain()


def _part_headers(meta: FrameMetadata) -> dict[str, str]:
    return {
        CAPTURE_TIME_HEADER: capture_time_header(meta.capture_time_utc),
        META_HEADER: meta.to_json_bytes().decode("ascii"),
    }


async def _respond(writer: asyncio.StreamWriter, code: int, reason: str, text: str, extra: str = "") -> None:
    body = text.encode()
    writer.write(
        (
            f"HTTP/1.1 {code} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
        ).encode("ascii")
        + body
    )
    with contextlib.suppress(ConnectionError):
        await writer.drain()
