"""Reading input safely: size checked before parsing (design contract 13), JSON without NaN/Infinity, errors
that name the file and the position, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, FileTooLargeError, InputError, Problem

Source = Path | str | bytes
MEMORY = "<memory>"


def read_source(source: Source, *, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> tuple[bytes, str]:
    """The bytes of ``source`` and a name for messages.

    ``Path`` is a file; ``bytes`` is the content; ``str`` is JSON/XML text when it starts with ``{``, ``[``
    or ``<``, else a file path.
    """
    if isinstance(source, bytes):
        if len(source) > max_bytes:
            raise FileTooLargeError(MEMORY, [Problem("input", f"{len(source)} bytes is over {max_bytes}")])
        return source, MEMORY
    if isinstance(source, str) and source.lstrip()[:1] in ("{", "[", "<"):
        data = source.encode("utf-8")
        if len(data) > max_bytes:
            raise FileTooLargeError(MEMORY, [Problem("input", f"{len(data)} bytes is over {max_bytes}")])
        return data, MEMORY
    path = Path(source)
    name = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(name, [Problem("file", f"cannot read: {exc.strerror or exc}")]) from None
    if not path.is_file():
        raise InputError(name, [Problem("file", "not a regular file")])
    if size > max_bytes:
        raise FileTooLargeError(
            name, [Problem("file", f"{size} bytes is over the limit of {max_bytes} bytes")]
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(name, [Problem("file", f"cannot read: {exc.strerror or exc}")]) from None
    if len(data) > max_bytes:  # grew while we looked
        raise FileTooLargeError(name, [Problem("file", f"over the limit of {max_bytes} bytes")])
    return data, name


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (numbers must be finite)")


def parse_json(data: bytes, name: str) -> Any:
    """Strict JSON: UTF-8, no NaN/Infinity, bounded nesting; errors carry line and column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(name, [Problem(f"byte {exc.start}", "not UTF-8 text")]) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InputError(name, [Problem(f"line {exc.lineno} column {exc.colno}", exc.msg)]) from None
    except ValueError as exc:
        raise InputError(name, [Problem("$", str(exc))]) from None
    except RecursionError:
        raise InputError(name, [Problem("$", "nesting too deep")]) from None
