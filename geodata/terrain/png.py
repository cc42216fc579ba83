"""A minimal PNG encoder (zlib + CRC from the standard library), so tiles need no imaging dependency."""

from __future__ import annotations

import struct
import zlib

import numpy as np
from numpy.typing import NDArray

_COLOUR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type: grey, grey+alpha, RGB, RGBA


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(pixels: NDArray[np.uint8]) -> bytes:
    """Encodes an 8-bit image of shape (height, width) or (height, width, 1..4 channels)."""
    image = pixels if pixels.ndim == 3 else pixels[:, :, np.newaxis]
    if image.dtype != np.uint8 or image.shape[2] not in _COLOUR_TYPE:
        raise ValueError(f"need uint8 with 1-4 channels, got {image.dtype} {image.shape}")
    height, width, channels = image.shape
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0)
    rows = np.concatenate(
        [np.zeros((height, 1), dtype=np.uint8), image.reshape(height, width * channels)], axis=1
    )
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 6))
        + _chunk(b"IEND", b"")
    )
