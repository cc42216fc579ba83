"""Region datasets shipped with borderwatch (design contract 3): one folder per region with a manifest."""

from __future__ import annotations

from pathlib import Path

REGIONS_DIR = Path(__file__).resolve().parent
"""Package data lives next to this file; each subfolder holding a ``manifest.yaml`` is one region."""

DEFAULT_REGION = "jesenik-nysa"
