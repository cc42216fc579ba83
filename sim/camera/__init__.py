"""Camera simulator: rendered drone gimbal and pole camera video, streamed like real cameras.

Runner entry point: ``sim.camera.streams.start_camera_streams``; consumers: the station's readers
in ``ground_station.video`` (the simulator keeps only writers).
"""

from sim.camera.spec import CameraEndpoint, CameraKind, CameraSpec, FixedMount, StreamDemand

__all__ = ["CameraEndpoint", "CameraKind", "CameraSpec", "FixedMount", "StreamDemand"]
