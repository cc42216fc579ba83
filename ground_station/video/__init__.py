"""The station's video pipeline: stream readers (RTP/H.264, SDP, MJPEG, RTSP, files), MISB ST 0601 KLV,
ingest bound to sensors, recording, and delivery to browsers. Never imports ``sim`` (design contract 6)."""
