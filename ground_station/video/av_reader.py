"""Files (MP4, MPEG-TS) and RTSP through FFmpeg's demuxers (PyAV), in a worker thread.

Why FFmpeg here: RTSP sessions (OPTIONS/DESCRIBE/SETUP/PLAY, UDP or interleaved TCP) and container
formats are long-solved problems; what we add is the KLV. It comes either in SEI of the H.264 (read per
access unit, as for RTP) or, in our recordings and STANAG 4609 files, as a KLV data stream (MPEG-TS
stream type 0x15), matched to the picture by presentation time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import av
import numpy as np

from ground_station.video.frames import DecodedFrame, ReceiverStats
from ground_station.video.klv import ST0601_KEY, KlvError, UasDatalinkSample, decode_st0601
from ground_station.video.rtp import RtpFormatError, split_annexb
from ground_station.video.sei import SeiError, user_data_of

log = logging.getLogger(__name__)

_END = object()


class AvReadError(RuntimeError):
    """The container or the RTSP session could not be opened or read: says which and why."""


def _klv_from_sei(raw: bytes, stats: ReceiverStats) -> tuple[UasDatalinkSample | None, bytes | None]:
    try:
        nals = split_annexb(raw)
        user_data = user_data_of(nals)
    except (RtpFormatError, SeiError):
        return None, None  # AVCC-framed (MP4) or no SEI: nothing to read here
    for _uuid, payload in user_data:
        if payload.startswith(ST0601_KEY):
            stats.klv_packets += 1
            try:
                return decode_st0601(payload), payload
            except KlvError as exc:
                stats.klv_errors += 1
                stats.note(f"KLV refused: {exc}")
    return None, None


def _read_blocking(
    url: str,
    realtime: bool,
    stats: ReceiverStats,
    stop: threading.Event,
    emit: Any,
    options: dict[str, str],
) -> None:
    try:
        container = av.open(url, options=options, timeout=10.0)
    except (av.error.FFmpegError, OSError) as exc:
        raise AvReadError(f"{url}: cannot open ({exc})") from None
    with container:
        if not container.streams.video:
            raise AvReadError(f"{url}: no video stream")
        video = container.streams.video[0]
        data = list(container.streams.data)
        klv_by_pts: dict[int, tuple[UasDatalinkSample, bytes]] = {}
        last_klv: tuple[UasDatalinkSample, bytes] | None = None
        started = time.monotonic()
        first_pts: float | None = None
        for packet in container.demux(video, *data):
            if stop.is_set():
                return
            if packet.size == 0:
                continue
            raw = bytes(packet)
            if packet.stream.type == "data":
                if raw.startswith(ST0601_KEY):
                    stats.klv_packets += 1
                    try:
                        sample = decode_st0601(raw)
                    except KlvError as exc:
                        stats.klv_errors += 1
                        stats.note(f"KLV refused: {exc}")
                        continue
                    last_klv = (sample, raw)
                    if packet.pts is not None:
                        klv_by_pts[packet.pts] = last_klv
                        while len(klv_by_pts) > 64:
                            klv_by_pts.pop(next(iter(klv_by_pts)))
                continue
            sei_klv, sei_packet = _klv_from_sei(raw, stats)
            try:
                frames = packet.decode()
            except av.error.FFmpegError as exc:
                stats.decode_errors += 1
                stats.note(f"{url}: decode error {exc}")
                continue
            for frame in frames:
                if not isinstance(frame, av.VideoFrame):
                    continue
                if realtime and frame.time is not None:
                    if first_pts is None:
                        first_pts = frame.time
                    delay = (frame.time - first_pts) - (time.monotonic() - started)
                    if delay > 0 and stop.wait(min(delay, 1.0)):
                        return
                match = klv_by_pts.pop(frame.pts, None) if frame.pts is not None else None
                klv, klv_raw = (sei_klv, sei_packet) if sei_klv else (match or last_klv or (None, None))
                stats.frames += 1
                emit(
                    DecodedFrame(
                        image=np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8),
                        klv=klv,
                        klv_packet=klv_raw,
                        capture_time_utc=klv.precision_time_utc if klv else None,
                        access_unit=raw if packet.stream.codec_context.name == "h264" else None,
                        keyframe=bool(packet.is_keyframe),
                    )
                )


async def read_av(
    url: str,
    *,
    realtime: bool = False,
    stats: ReceiverStats | None = None,
    rtsp_transport: str = "tcp",
) -> AsyncIterator[DecodedFrame]:
    """Frames of a file or an RTSP URL; ``realtime`` paces a file at its own frame rate (replay)."""
    stats = stats if stats is not None else ReceiverStats()
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=8)
    stop = threading.Event()
    options = {"rtsp_transport": rtsp_transport} if url.startswith("rtsp://") else {}

    def emit(item: object) -> None:
        """Hands an item to the event loop, waiting while the consumer is behind (files: back-pressure),
        and giving up as soon as the consumer has stopped."""
        try:
            future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        except RuntimeError:  # loop closed while stopping
            return
        while not stop.is_set():
            try:
                future.result(timeout=0.5)
                return
            except concurrent.futures.TimeoutError:
                continue
        future.cancel()

    def worker() -> None:
        try:
            _read_blocking(url, realtime, stats, stop, emit, options)
        except Exception as exc:  # handed to the consumer, which reports and reconnects
            emit(exc)
        finally:
            if not stop.is_set():
                emit(_END)

    thread = threading.Thread(target=worker, name=f"av-read-{url[-24:]}", daemon=True)
    thread.start()
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, Exception):
                raise item
            assert isinstance(item, DecodedFrame)
            yield item
    finally:
        stop.set()
        while not queue.empty():  # unblock a worker waiting on a full queue
            queue.get_nowait()


def read_klv_track(path: str, *, limit: int) -> list[tuple[float | None, UasDatalinkSample]]:
    """The ST 0601 samples of a file with their presentation times (s), without decoding any video:
    from its KLV data stream, or else from the SEI of its H.264 packets. A truncated file gives what
    it holds up to the cut; a packet with a bad checksum is left out."""
    stats = ReceiverStats()
    samples: list[tuple[float | None, UasDatalinkSample]] = []
    try:
        container = av.open(path, timeout=10.0)
    except (av.error.FFmpegError, OSError) as exc:
        raise AvReadError(f"{path}: cannot open ({exc})") from None
    with container:
        streams: list[Any] = list(container.streams.data) or list(container.streams.video[:1])
        if not streams:
            return samples
        try:
            for packet in container.demux(*streams):
                if packet.size == 0:
                    continue
                raw = bytes(packet)
                time_s = (
                    float(packet.pts * packet.time_base)
                    if packet.pts is not None and packet.time_base
                    else None
                )
                if packet.stream.type == "data":
                    try:
                        sample: UasDatalinkSample | None = (
                            decode_st0601(raw) if raw.startswith(ST0601_KEY) else None
                        )
                    except KlvError:
                        sample = None
                else:
                    sample, _ = _klv_from_sei(raw, stats)
                if sample is not None:
                    samples.append((time_s, sample))
                    if len(samples) >= limit:
                        break
        except av.error.FFmpegError as exc:  # truncated or damaged: keep what was read
            log.info("%s: KLV read stopped early: %s", path, exc)
    return samples
