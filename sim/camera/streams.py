"""Entry point for the simulator runner: start every configured camera's stream, report endpoints.

Drone cameras: RTP/H.264 to ``host:5600+i`` with ``<sdp_dir>/<camera id>.sdp``; pole cameras: MJPEG over
HTTP on ``host:8081+i``, or RTSP (H.264) there when ``transport: rtsp`` (design contract 6;
``port: 0`` in a CameraSpec picks a free port, for tests).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sim.camera.feed import CameraFeed
from sim.camera.mjpeg_server import MjpegCameraServer
from sim.camera.rtp_stream import RtpCameraStream, free_udp_port
from sim.camera.rtsp_server import RtspCameraServer
from sim.camera.spec import CameraEndpoint, CameraKind, CameraSpec
from sim.scene import SceneSource


@dataclass
class CameraStreams:
    """The running streams; ``endpoints`` go into the ready-json."""

    endpoints: list[CameraEndpoint]
    rtp_streams: dict[str, RtpCameraStream]
    mjpeg_servers: dict[str, MjpegCameraServer]
    rtsp_servers: dict[str, RtspCameraServer] = field(default_factory=dict)

    async def stop(self) -> None:
        for rtsp in self.rtsp_servers.values():
            await rtsp.stop()
        for rtp in self.rtp_streams.values():
            await rtp.stop()
        for server in self.mjpeg_servers.values():
            await server.stop()


async def start_camera_streams(
    scene: SceneSource,
    cameras: Sequence[CameraSpec],
    *,
    host: str = "127.0.0.1",
    sdp_dir: Path,
) -> CameraStreams:
    """Starts all cameras (idle until consumed); on any failure stops those already started."""
    ids = [c.id for c in cameras]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"camera ids must be unique, repeated: {', '.join(duplicates)}")
    streams = CameraStreams(endpoints=[], rtp_streams={}, mjpeg_servers={})
    drone_index = 0
    fixed_index = 0
    try:
        for spec in cameras:
            feed = CameraFeed(spec, scene)
            if spec.kind is CameraKind.DRONE:
                port = spec.default_port(drone_index) if spec.port is None else spec.port
                drone_index += 1
                rtp = RtpCameraStream(
                    feed, host=host, rtp_port=port or free_udp_port(host), sdp_path=sdp_dir / f"{spec.id}.sdp"
                )
                await rtp.start()
                streams.rtp_streams[spec.id] = rtp
                streams.endpoints.append(
                    CameraEndpoint(
                        id=spec.id,
                        kind=spec.kind,
                        vehicle_slug=spec.vehicle_slug,
                        stream_url=rtp.stream_url,
                        sdp_path=str(rtp.sdp_path),
                        keepalive_url=rtp.keepalive_url,
                        pose={
                            "gimbal_of": spec.vehicle_slug,
                            "hfov_deg": spec.hfov_deg,
                            "vfov_deg": spec.vfov_deg,
                        },
                    )
                )
            else:
                port = spec.default_port(fixed_index) if spec.port is None else spec.port
                fixed_index += 1
                server: MjpegCameraServer | RtspCameraServer
                if spec.transport == "rtsp":
                    server = RtspCameraServer(feed, host=host, port=port)
                    await server.start()
                    streams.rtsp_servers[spec.id] = server
                else:
                    server = MjpegCameraServer(feed, host=host, port=port)
                    await server.start()
                    streams.mjpeg_servers[spec.id] = server
                pose = feed.fixed_pose
                assert pose is not None and spec.mount is not None
                streams.endpoints.append(
                    CameraEndpoint(
                        id=spec.id,
                        kind=spec.kind,
                        vehicle_slug=None,
                        stream_url=server.stream_url,
                        sdp_path=None,
                        keepalive_url=None,
                        pose={**pose.as_dict(), "mount_height_agl_m": spec.mount.mount_height_agl_m},
                    )
                )
    except BaseException:
        await streams.stop()
        raise
    return streams
