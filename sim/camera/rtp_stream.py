"""A drone camera streamed as RTP/H.264 over UDP, rendered only while a consumer keeps it alive.

Design (the keepalive lease): RTP over UDP is push-only, so the consumer says it is there. The SDP names
a keepalive address (``a=x-borderwatch-keepalive:<host>:<port>``); any datagram arriving there (a
borderwatch keepalive, or an RTCP receiver report sent to it) renews a lease of ``lease_s`` seconds
(default 3 s; consumers send one per second). While the lease is valid the stream renders, encodes and
sends to the SDP's ``m=`` port; when it lapses the stream stops and costs nothing. The first picture
after (re)joining is an IDR with SPS/PPS. Cameras with ``demand=always`` stream without a lease, for
players like VLC or QGroundControl that cannot send keepalives.

Every access unit carries two SEI user_data_unregistered NALs: MISB ST 0601 KLV (what a real drone
sends; the station reads it) and the ground-truth ``FrameMetadata`` JSON (test-only; the station
ignores it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sim.camera.codec import H264Encoder
from sim.camera.feed import CameraFeed, FeedSnapshot
from sim.camera.klv import KlvPose, encode_uas_local_set, frame_center
from sim.camera.metadata import FrameMetadata
from sim.camera.rtp_h264 import H264_CLOCK_HZ, RtpH264Packetizer, insert_before_first_vcl
from sim.camera.sdp import H264SessionDescription, write_sdp
from sim.camera.sei import KLV_SEI_UUID, build_user_data_sei
from sim.camera.spec import StreamDemand
from sim.scene import VehiclePose

log = logging.getLogger(__name__)

DEFAULT_LEASE_S = 3.0
KEEPALIVE_MESSAGE = b"BWKA"  # what borderwatch consumers send; the content is not checked


def free_udp_port(host: str) -> int:
    """An unused UDP port for the receiver side when the caller asked for an ephemeral one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class _KeepaliveProtocol(asyncio.DatagramProtocol):
    def __init__(self, stream: RtpCameraStream) -> None:
        self._stream = stream

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._stream._renew_lease()

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable while no receiver is bound: expected, not an error of ours.
        log.debug("camera %s: UDP error %s", self._stream.feed.spec.id, exc)


class RtpCameraStream:
    """Owns one UDP socket: RTP goes out of it, keepalives come into it."""

    def __init__(
        self,
        feed: CameraFeed,
        *,
        host: str,
        rtp_port: int,
        sdp_path: Path,
        keepalive_port: int = 0,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        self.feed = feed
        self.host = host
        self.rtp_port = rtp_port
        self.sdp_path = sdp_path
        self.lease_s = lease_s
        self._requested_keepalive_port = keepalive_port
        self.keepalive_port = 0
        self.frames_sent = 0
        self.frames_skipped = 0
        self.frame_errors = 0
        self._lease_until = 0.0
        self._wake = asyncio.Event()
        self._transport: asyncio.DatagramTransport | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"cam-{feed.spec.id}")
        spec = feed.spec
        self._encoder = H264Encoder(spec.width, spec.height, spec.fps)
        self._packetizer = RtpH264Packetizer(secrets.randbits(32), initial_sequence=secrets.randbits(16))
        self._ts_offset = secrets.randbits(32)
        self._t0 = time.monotonic()
        self._last_pts = -1

    @property
    def stream_url(self) -> str:
        return f"rtp://{self.host}:{self.rtp_port}"

    @property
    def keepalive_url(self) -> str:
        return f"udp://{self.host}:{self.keepalive_port}"

    @property
    def consumer_active(self) -> bool:
        return self.feed.spec.demand is StreamDemand.ALWAYS or time.monotonic() < self._lease_until

    def _renew_lease(self) -> None:
        was_active = self.consumer_active
        self._lease_until = time.monotonic() + self.lease_s
        if not was_active:
            self._wake.set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _KeepaliveProtocol(self), local_addr=(self.host, self._requested_keepalive_port)
        )
        self._transport = transport
        self.keepalive_port = int(transport.get_extra_info("sockname")[1])
        desc = H264SessionDescription(
            camera_id=self.feed.spec.id,
            host=self.host,
            port=self.rtp_port,
            payload_type=self._packetizer.payload_type,
            clock_rate=H264_CLOCK_HZ,
            keepalive_host=self.host,
            keepalive_port=self.keepalive_port,
            framerate=self.feed.spec.fps,
        )
        write_sdp(self.sdp_path, desc)
        self._task = asyncio.create_task(self._run(), name=f"rtp-camera-{self.feed.spec.id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self._executor.shutdown(wait=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        period = 1.0 / self.feed.spec.fps
        while True:
            if not self.consumer_active:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.lease_s)
                if not self.consumer_active:
                    continue
                self._encoder.request_keyframe()
            deadline = time.monotonic()
            while self.consumer_active:
                try:
                    snap = self.feed.snapshot()
                except KeyError:
                    log.warning(
                        "camera %s: vehicle %s not in the scene",
                        self.feed.spec.id,
                        self.feed.spec.vehicle_slug,
                    )
                    await asyncio.sleep(1.0)
                    deadline = time.monotonic()
                    continue
                try:
                    packets = await loop.run_in_executor(self._executor, self._produce, snap)
                except Exception:
                    # A bug or a bad scene value must not kill the stream for good: say so, retry.
                    log.exception("camera %s: frame failed", self.feed.spec.id)
                    self.frame_errors += 1
                    await asyncio.sleep(1.0)
                    deadline = time.monotonic()
                    continue
                if self._transport is not None:
                    for packet in packets:
                        self._transport.sendto(packet, (self.host, self.rtp_port))
                    self.frames_sent += 1
                deadline += period
                delay = deadline - time.monotonic()
                if delay < -period:
                    # Fell behind by more than a frame: drop frames rather than queue them.
                    self.frames_skipped += int(-delay / period)
                    deadline = time.monotonic()
                    delay = 0.0
                await asyncio.sleep(max(delay, 0.0))
            log.info("camera %s: no consumer for %.1f s, stream idle", self.feed.spec.id, self.lease_s)

    def _produce(self, snap: FeedSnapshot) -> list[bytes]:
        captured = self.feed.render(snap)
        # The encoder needs strictly increasing pts; the wire timestamp starts at a random offset and wraps.
        pts = max(int((time.monotonic() - self._t0) * H264_CLOCK_HZ), self._last_pts + 1)
        self._last_pts = pts
        timestamp = (self._ts_offset + pts) & 0xFFFFFFFF
        klv = build_user_data_sei(klv_for(captured.metadata, captured.vehicle), KLV_SEI_UUID)
        truth = build_user_data_sei(captured.metadata.to_json_bytes())
        packets: list[bytes] = []
        for nals in self._encoder.encode(captured.image, pts):
            nals = insert_before_first_vcl(insert_before_first_vcl(nals, klv), truth)
            packets.extend(self._packetizer.packetize(nals, timestamp))
        return packets


def klv_for(meta: FrameMetadata, vehicle: VehiclePose | None) -> bytes:
    """The ST 0601 packet of a frame: the drone's attitude, the camera's position and gimbal angles."""
    pose = meta.pose
    heading = vehicle.yaw_deg if vehicle else pose.heading_deg
    centre = (
        frame_center(
            pose.lat,
            pose.lon,
            pose.alt_amsl_m,
            pose.heading_deg,
            pose.pitch_deg,
            meta.ground_elevation_amsl_m,
        )
        if meta.terrain_known
        else None
    )
    return encode_uas_local_set(
        KlvPose(
            time_utc=meta.capture_time_utc,
            platform_heading_deg=heading,
            platform_pitch_deg=vehicle.pitch_deg if vehicle else 0.0,
            platform_roll_deg=vehicle.roll_deg if vehicle else 0.0,
            lat=pose.lat,
            lon=pose.lon,
            alt_amsl_m=pose.alt_amsl_m,
            hfov_deg=pose.hfov_deg,
            vfov_deg=pose.vfov_deg,
            gimbal_rel_azimuth_deg=(pose.heading_deg - heading) % 360.0,
            gimbal_rel_elevation_deg=pose.pitch_deg,
            frame_center_lat=centre[0] if centre else None,
            frame_center_lon=centre[1] if centre else None,
            frame_center_elev_amsl_m=meta.ground_elevation_amsl_m if centre else None,
        )
    )
