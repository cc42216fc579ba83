"""``borderwatch video probe``: what a stream carries (codec, size, rate, KLV), read the way ingest
reads it, so "it works in the probe" means "it works in the station"."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from ground_station.video.frames import ReceiverStats
from ground_station.video.ingest import SensorBinding, SourceKind, StreamSource, open_frames
from ground_station.video.klv import UasDatalinkSample
from ground_station.video.service import source_kind

CODEC_OF = {
    SourceKind.RTP: "H.264 over RTP",
    SourceKind.MJPEG: "JPEG (MJPEG over HTTP)",
    SourceKind.RTSP: "via RTSP (FFmpeg demuxer)",
    SourceKind.FILE: "from file (FFmpeg demuxer)",
}


@dataclass
class ProbeResult:
    url: str
    kind: SourceKind
    codec: str
    frames: int = 0
    sizes: list[tuple[int, int]] = field(default_factory=list)
    rate_fps: float | None = None
    klv_frames: int = 0
    last_klv: UasDatalinkSample | None = None
    stats: ReceiverStats = field(default_factory=ReceiverStats)
    error: str | None = None

    def lines(self) -> list[str]:
        out = [
            f"source:  {self.url} ({self.kind.value})",
            f"codec:   {self.codec}",
            f"frames:  {self.frames}" + (f" at {self.rate_fps:.1f} fps" if self.rate_fps else ""),
            "size:    " + (", ".join(f"{w}x{h}" for w, h in self.sizes) or "-"),
            f"KLV:     MISB ST 0601 in {self.klv_frames} of {self.frames} frames"
            f" ({self.stats.klv_errors} refused)",
        ]
        if self.last_klv is not None:
            out += [f"  {name}: {value}" for name, value in self.last_klv.as_dict().items()]
        if self.stats.malformed or self.stats.decode_errors:
            out.append(
                f"errors:  {self.stats.malformed} malformed packets, {self.stats.decode_errors} undecodable"
            )
        out += [f"  {e}" for e in self.stats.errors[-3:]]
        if self.error:
            out.append(f"error:   {self.error}")
        return out


async def probe(url: str, *, max_frames: int = 30, timeout_s: float = 10.0) -> ProbeResult:
    kind = source_kind(url, Path(url) if url.endswith(".sdp") else None)
    result = ProbeResult(url, kind, CODEC_OF[kind])
    source = StreamSource("probe", kind, url, SensorBinding("probe"))
    frames = open_frames(source, result.stats)
    first = last = None
    deadline = time.monotonic() + timeout_s
    try:
        while result.frames < max_frames:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                result.error = result.error or f"stopped after {timeout_s:g} s"
                break
            try:
                frame = await asyncio.wait_for(anext(frames), remaining)
            except StopAsyncIteration:
                break
            except TimeoutError:
                result.error = f"no picture within {timeout_s:g} s" if not result.frames else None
                break
            now = time.monotonic()
            first = first if first is not None else now
            last = now
            result.frames += 1
            if (frame.width, frame.height) not in result.sizes:
                result.sizes.append((frame.width, frame.height))
            if frame.klv is not None:
                result.klv_frames += 1
                result.last_klv = frame.klv
    except Exception as exc:  # a probe reports, it does not crash
        result.error = f"{type(exc).__name__}: {exc}"
    finally:
        with contextlib.suppress(Exception):
            await frames.aclose()  # type: ignore[attr-defined]
    if first is not None and last is not None and result.frames > 1 and last > first:
        result.rate_fps = (result.frames - 1) / (last - first)
    return result
