"""Video API: live streams, stream tickets, MJPEG delivery, recordings (list, metadata, play back,
download).

Live viewing needs ``view_vehicles`` (every role), recordings ``view_flights`` and downloads
``download_tlogs`` (the closest existing permissions; dedicated video permissions belong with the
auth work). The two MJPEG routes are authenticated by a single-use stream ticket instead of a bearer
header, because a browser ``<img>`` cannot send one; they are listed in ``PUBLIC_ROUTES`` with that
reason and refuse any request without a valid ticket.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from ground_station.api.audit import audit
from ground_station.api.context import StationContext, get_context
from ground_station.api.security import require
from ground_station.auth.roles import Permission, Role
from ground_station.auth.tokens import Principal
from ground_station.bus.messages import AuditAction
from ground_station.video.av_reader import read_av, read_klv_track
from ground_station.video.delivery import (
    MJPEG_BOUNDARY,
    PRIVACY_VARIANTS,
    EncodedFrame,
    Variant,
    mjpeg_part,
)
from ground_station.video.ingest import PoseSource, SensorPose, VideoFrame
from ground_station.video.overlay import annotate
from ground_station.video.recorder import RecordingInfo, list_recordings
from ground_station.video.service import VideoService
from ground_station.video.tickets import TicketError

router = APIRouter(tags=["video"])

MAX_METADATA_SAMPLES = 10_000


class SensorView(BaseModel):
    sensor_id: str
    kind: str  # gimbal | fixed
    vehicle_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    alt_amsl_m: float | None = None
    heading_deg: float | None = None


class PoseView(BaseModel):
    """The latest picture's sensor pose and where it came from (klv, telemetry, fixed, none)."""

    source: str
    lon: float | None = None
    lat: float | None = None
    alt_amsl_m: float | None = None
    alt_agl_m: float | None = None
    heading_deg: float | None = None
    pitch_deg: float | None = None
    time_utc: datetime | None = None


class StreamView(BaseModel):
    id: str
    sensor: SensorView
    kind: str  # rtp | mjpeg | rtsp | file
    live: bool
    state: str
    variants: list[str]
    width: int | None = None
    height: int | None = None
    frames: int
    reconnects: int
    pose: PoseView | None = None
    recording: bool
    last_error: str | None = None


def variants_for(role: Role) -> list[Variant]:
    """Which variants a viewer of this role may watch: partners see people only anonymised or as
    analytic data (issue 13); the station's own roles see everything."""
    if role is Role.PARTNER_VIEWER:
        return [v for v in Variant if v in PRIVACY_VARIANTS]
    return list(Variant)


class TicketRequest(BaseModel):
    variant: Variant = Variant.ANNOTATED


class TicketView(BaseModel):
    ticket: str
    mjpeg_url: str
    webrtc_offer_url: str | None = Field(
        description="Where to POST a WebRTC offer ({sdp, type}) with this ticket; null where not offered. "
        "The ticket is single-use: spend it on either the MJPEG or the WebRTC URL."
    )
    expires_at: datetime


class WebRtcOffer(BaseModel):
    sdp: str = Field(max_length=64 * 1024)
    type: str = Field(pattern="^offer$")


class WebRtcAnswer(BaseModel):
    sdp: str
    type: str = "answer"
    mode: str = Field(
        description="passthrough: the camera's H.264 as it came; shared: one encode per stream and variant "
        "for all viewers; reencode: encoded for this viewer (peers without H.264)"
    )


class RecordingView(BaseModel):
    id: str
    stream_id: str
    start_utc: datetime
    size_bytes: int
    data_class: str
    download_url: str


class KlvSampleView(BaseModel):
    index: int
    time_s: float | None = Field(description="presentation time in the recording, seconds")
    values: dict[str, Any]


def _video(context: StationContext) -> VideoService:
    if context.video is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail="the video service is not running")
    return context.video


def _stream_view(video: VideoService, stream_id: str, role: Role) -> StreamView:
    stream = video.streams[stream_id]
    binding = stream.source.binding
    fixed = binding.fixed
    latest = stream.latest
    return StreamView(
        id=stream_id,
        sensor=SensorView(
            sensor_id=binding.sensor_id,
            kind=binding.kind,
            vehicle_id=binding.vehicle_id,
            lon=fixed.lon if fixed else None,
            lat=fixed.lat if fixed else None,
            alt_amsl_m=fixed.alt_amsl_m if fixed else None,
            heading_deg=fixed.heading_deg if fixed else None,
        ),
        kind=stream.source.kind.value,
        live=stream.state.value == "live",
        state=stream.state.value,
        variants=[v.value for v in variants_for(role)],
        width=stream.stats.width,
        height=stream.stats.height,
        frames=stream.stats.frames,
        reconnects=stream.stats.reconnects,
        pose=PoseView(**{**vars(latest.pose), "source": latest.pose.source.value}) if latest else None,
        recording=stream_id in video.recorders,
        last_error=stream.stats.last_error,
    )


@router.get("/api/video/streams", response_model=list[StreamView])
async def list_streams(
    principal: Principal = Depends(require(Permission.VIEW_VEHICLES)),
    context: StationContext = Depends(get_context),
) -> list[StreamView]:
    """Each stream with the picture variants this viewer's role may watch."""
    video = _video(context)
    return [_stream_view(video, sid, principal.role) for sid in video.streams]


@router.post("/api/video/streams/{stream_id}/ticket", response_model=TicketView)
async def stream_ticket(
    stream_id: str,
    body: TicketRequest | None = None,
    principal: Principal = Depends(require(Permission.VIEW_VEHICLES)),
    context: StationContext = Depends(get_context),
) -> TicketView:
    variant = (body or TicketRequest()).variant
    # every request to watch is accountable (also refused ones): audited before anything else happens
    await audit(
        context,
        principal.username,
        AuditAction.VIDEO_TICKET_ISSUED,
        f"stream:{stream_id}",
        {"variant": variant.value},
        principal.organisation,
    )
    video = _video(context)
    if stream_id not in video.streams:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no video stream {stream_id!r}")
    allowed = variants_for(principal.role)
    if variant not in allowed:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail=f"role {principal.role.value} may watch only {[v.value for v in allowed]}",
        )
    try:
        # The ticket is bound to the variant: a partner cannot swap the URL's variant for raw.
        ticket = video.tickets.issue(
            f"stream:{stream_id}", f"live:{variant.value}", principal.username, principal.organisation
        )
    except TicketError as exc:
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, detail=str(exc)) from None
    return TicketView(
        ticket=ticket.value,
        mjpeg_url=f"/api/video/streams/{stream_id}/mjpeg?ticket={ticket.value}&variant={variant.value}",
        webrtc_offer_url=f"/api/video/streams/{stream_id}/webrtc?ticket={ticket.value}&variant={variant.value}",
        expires_at=ticket.expires_at,
    )


def _redeem(video: VideoService, ticket: str | None, target: str, purpose: str) -> None:
    try:
        video.tickets.redeem(ticket, target, purpose)
    except TicketError as exc:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, detail=str(exc)) from None


async def _multipart(frames: AsyncIterator[EncodedFrame], request: Request) -> AsyncIterator[bytes]:
    async for frame in frames:
        if await request.is_disconnected():
            return
        yield mjpeg_part(frame)


_MJPEG_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


@router.get("/api/video/streams/{stream_id}/mjpeg")
async def stream_mjpeg(
    stream_id: str,
    request: Request,
    ticket: str | None = Query(default=None),
    variant: Variant = Query(default=Variant.ANNOTATED),
    context: StationContext = Depends(get_context),
) -> StreamingResponse:
    """Live MJPEG for an ``<img>``; authenticated by a single-use ticket from the ticket route."""
    video = _video(context)
    _redeem(video, ticket, f"stream:{stream_id}", f"live:{variant.value}")
    if stream_id not in video.streams:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no video stream {stream_id!r}")
    frames = video.variant(stream_id, variant).frames()
    return StreamingResponse(
        _multipart(frames, request),
        media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers=_MJPEG_HEADERS,
    )


@router.post("/api/video/streams/{stream_id}/webrtc", response_model=WebRtcAnswer)
async def stream_webrtc(
    stream_id: str,
    offer: WebRtcOffer,
    ticket: str | None = Query(default=None),
    variant: Variant = Query(default=Variant.ANNOTATED),
    context: StationContext = Depends(get_context),
) -> WebRtcAnswer:
    """Answers a browser's WebRTC offer with the stream's video; authenticated by a single-use ticket."""
    video = _video(context)
    _redeem(video, ticket, f"stream:{stream_id}", f"live:{variant.value}")
    if stream_id not in video.streams:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no video stream {stream_id!r}")
    try:
        sdp, mode = await video.webrtc.answer(
            video.streams[stream_id],
            variant,
            offer.sdp,
            video.h264_variant(stream_id, variant),
            detector_factory=video.detector_factory,
        )
    except OverflowError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(exc)) from None
    except ValueError as exc:  # aiortc: an offer it cannot use
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=f"unusable WebRTC offer: {exc}") from None
    return WebRtcAnswer(sdp=sdp, mode=mode)


def _recording(video: VideoService, recording_id: str) -> RecordingInfo:
    for info in list_recordings(video.recordings_dir):
        if info.recording_id == recording_id:
            return info
    raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no recording {recording_id!r}")


def _recording_view(info: RecordingInfo) -> RecordingView:
    return RecordingView(
        id=info.recording_id,
        stream_id=info.stream_id,
        start_utc=info.start_utc,
        size_bytes=info.size_bytes,
        data_class=info.data_class,
        download_url=f"/api/video/recordings/{info.recording_id}/download",
    )


@router.get("/api/video/recordings", response_model=list[RecordingView])
async def recordings(
    stream_id: str | None = None,
    _: Principal = Depends(require(Permission.VIEW_FLIGHTS)),
    context: StationContext = Depends(get_context),
) -> list[RecordingView]:
    video = _video(context)
    found = await asyncio.to_thread(list_recordings, video.recordings_dir)
    return [_recording_view(i) for i in found if stream_id is None or i.stream_id == stream_id]


@router.get("/api/video/recordings/{recording_id}/download")
async def download_recording(
    recording_id: str,
    _: Principal = Depends(require(Permission.DOWNLOAD_TLOGS)),
    context: StationContext = Depends(get_context),
) -> FileResponse:
    info = _recording(_video(context), recording_id)
    return FileResponse(info.path, media_type="video/mp2t", filename=info.recording_id)


@router.get("/api/video/recordings/{recording_id}/metadata", response_model=list[KlvSampleView])
async def recording_metadata(
    recording_id: str,
    _: Principal = Depends(require(Permission.VIEW_FLIGHTS)),
    context: StationContext = Depends(get_context),
) -> list[KlvSampleView]:
    """The ST 0601 samples of a recording, one per picture that had one (a truncated file: up to the cut)."""
    info = _recording(_video(context), recording_id)
    samples = await asyncio.to_thread(read_klv_track, str(info.path), limit=MAX_METADATA_SAMPLES)
    return [
        KlvSampleView(index=i, time_s=t, values=sample.as_dict()) for i, (t, sample) in enumerate(samples)
    ]


@router.post("/api/video/recordings/{recording_id}/ticket", response_model=TicketView)
async def recording_ticket(
    recording_id: str,
    principal: Principal = Depends(require(Permission.VIEW_FLIGHTS)),
    context: StationContext = Depends(get_context),
) -> TicketView:
    await audit(
        context,
        principal.username,
        AuditAction.VIDEO_TICKET_ISSUED,
        f"recording:{recording_id}",
        {"purpose": "playback"},
        principal.organisation,
    )
    video = _video(context)
    info = _recording(video, recording_id)
    ticket = video.tickets.issue(f"recording:{info.recording_id}", "playback", principal.username)
    return TicketView(
        ticket=ticket.value,
        mjpeg_url=f"/api/video/recordings/{info.recording_id}/mjpeg?ticket={ticket.value}",
        webrtc_offer_url=None,
        expires_at=ticket.expires_at,
    )


async def _playback(info: RecordingInfo, request: Request, quality: int) -> AsyncIterator[bytes]:
    import cv2

    seq = 0
    async for decoded in read_av(str(info.path), realtime=True):
        if await request.is_disconnected():
            return
        klv = decoded.klv
        pose = SensorPose(
            PoseSource.KLV if klv else PoseSource.NONE,
            klv.sensor_lon if klv else None,
            klv.sensor_lat if klv else None,
            klv.sensor_alt_amsl_m if klv else None,
            None,
            klv.platform_heading_deg if klv else None,
        )
        when = decoded.capture_time_utc or info.start_utc
        frame = VideoFrame(info.stream_id, seq, decoded.image, 0.0, when, pose, klv, None, None, False)
        ok, buf = cv2.imencode(".jpg", annotate(frame, info.stream_id), [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            yield mjpeg_part(EncodedFrame(seq, bytes(buf), when.isoformat(), 0.0))
        seq += 1


@router.get("/api/video/recordings/{recording_id}/mjpeg")
async def recording_mjpeg(
    recording_id: str,
    request: Request,
    ticket: str | None = Query(default=None),
    context: StationContext = Depends(get_context),
) -> StreamingResponse:
    """Plays a recording back as annotated MJPEG at its own pace; authenticated by a single-use ticket."""
    video = _video(context)
    _redeem(video, ticket, f"recording:{recording_id}", "playback")
    info = _recording(video, recording_id)
    return StreamingResponse(
        _playback(info, request, video.settings.video.jpeg_quality),
        media_type=f"multipart/x-mixed-replace; boundary={MJPEG_BOUNDARY}",
        headers=_MJPEG_HEADERS,
    )
