"""A machine-readable clock burnt into the picture, for glass-to-glass latency measurements.

The capture time (milliseconds since the Unix epoch, low 40 bits) is drawn as 40 black/white squares
of ``BLOCK`` pixels in two rows of 20 in the top-left corner, with a white frame around them. Squares
of 16 px survive JPEG and H.264 at ordinary quality, so the reader on the far side (a browser, the
benchmark's client) recovers the exact millisecond the simulator captured the picture.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

BITS = 40
PER_ROW = 20
BLOCK = 16
MARGIN = 4


def burn_clock(image: NDArray[np.uint8], capture_ms: int) -> None:
    """Draws ``capture_ms`` into ``image`` (BGR, at least 336 x 40 px) in place."""
    value = capture_ms & ((1 << BITS) - 1)
    width = PER_ROW * BLOCK + 2 * MARGIN
    height = (BITS // PER_ROW) * BLOCK + 2 * MARGIN
    image[:height, :width] = 255
    for bit in range(BITS):
        row, col = divmod(bit, PER_ROW)
        y, x = MARGIN + row * BLOCK, MARGIN + col * BLOCK
        image[y : y + BLOCK, x : x + BLOCK] = 0 if (value >> (BITS - 1 - bit)) & 1 else 255


def read_clock(image: NDArray[np.uint8], now_ms: int) -> int:
    """The burnt-in capture time, completed with the high bits of ``now_ms`` (wraps every ~35 years)."""
    corner = image[: (BITS // PER_ROW) * BLOCK + 2 * MARGIN, : PER_ROW * BLOCK + 2 * MARGIN]
    gray = corner.mean(axis=2) if corner.ndim == 3 else corner  # only the corner: cheap on 4K frames
    value = 0
    for bit in range(BITS):
        row, col = divmod(bit, PER_ROW)
        y, x = MARGIN + row * BLOCK + BLOCK // 2, MARGIN + col * BLOCK + BLOCK // 2
        patch = gray[y - 3 : y + 4, x - 3 : x + 4]
        value = (value << 1) | int(patch.mean() < 128)
    high = now_ms & ~((1 << BITS) - 1)
    candidate = high | value
    if candidate > now_ms + (1 << (BITS - 1)):
        candidate -= 1 << BITS
    return candidate
