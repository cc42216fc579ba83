"""Errors every importer and query raises, so callers can report *where* input went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located by JSON path (``$.features[3].geometry``) or line number."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class GeodataError(Exception):
    """Base class of every error this package raises on purpose."""


@dataclass
class InputError(GeodataError):
    """Input that cannot be used; ``source`` names the file (or '<memory>'), problems say where and why."""

    source: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{self.source}: {len(self.problems)} problem(s)"]
        lines += [f"  {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"  ... and {len(self.problems) - 50} more")
        return "\n".join(lines)


class FileTooLargeError(InputError):
    """Refused before parsing (design contract 13: default limit 50 MB)."""


class OutsideCoverageError(GeodataError):
    """A terrain query fell outside every DEM or on nodata: never answered with 0 m."""


DEFAULT_MAX_INPUT_BYTES = 50 * 1024 * 1024
