"""Reading importer input with the size limit (design contract 13) and located JSON errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from geodata.errors import DEFAULT_MAX_INPUT_BYTES, FileTooLargeError, InputError, Problem

Source = Path | str | bytes
MEMORY = "<memory>"


def source_label(source: object) -> str:
    return str(source) if isinstance(source, Path | str) else MEMORY


def check_size(path: Path, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> None:
    """Refuse a missing, non-regular or too large file without reading it."""
    label = str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(label, [Problem("file", f"cannot read: {exc.strerror or exc}")]) from None
    if not path.is_file():
        raise InputError(label, [Problem("file", "not a regular file")])
    if size > max_bytes:
        raise FileTooLargeError(label, [_too_large(size, max_bytes)])


def read_limited(source: Source, max_bytes: int = DEFAULT_MAX_INPUT_BYTES) -> tuple[bytes, str]:
    """The raw bytes, refused before reading when larger than ``max_bytes``; ``str`` is a path."""
    if isinstance(source, bytes):
        if len(source) > max_bytes:
            raise FileTooLargeError(MEMORY, [_too_large(len(source), max_bytes)])
        return source, MEMORY
    path = Path(source)
    label = str(path)
    check_size(path, max_bytes)
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # a file growing under us is still capped
    if len(data) > max_bytes:
        raise FileTooLargeError(label, [_too_large(len(data), max_bytes)])
    return data, label


def _too_large(size: int, max_bytes: int) -> Problem:
    return Problem(
        "file",
        f"{size} bytes is over the input limit of {max_bytes} bytes; refused before parsing "
        "(raise max_bytes if this file is trusted)",
    )


def decode_text(data: bytes, label: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1250")  # Czech/Polish legacy files
        except UnicodeDecodeError as exc:
            raise InputError(label, [Problem(f"byte {exc.start}", "not UTF-8 or CP1250 text")]) from None


def load_json_document(
    source: Source | dict[str, Any] | list[Any], max_bytes: int = DEFAULT_MAX_INPUT_BYTES
) -> tuple[Any, str]:
    """Parse JSON input; syntax errors and nesting bombs come back as InputError with line/column."""
    if isinstance(source, dict | list):
        return source, MEMORY
    data, label = read_limited(source, max_bytes)
    text = decode_text(data, label)
    try:
        return json.loads(text), label
    except json.JSONDecodeError as exc:
        hint = " (file truncated?)" if exc.pos >= len(text.rstrip()) else ""
        raise InputError(
            label, [Problem(f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}{hint}")]
        ) from None
    except RecursionError:
        raise InputError(label, [Problem("$", "JSON nested too deeply")]) from None


def jpath(parent: str, key: str | int) -> str:
    """Extend a JSONPath-like location: ``$.features[3].geometry``."""
    return f"{parent}[{key}]" if isinstance(key, int) else f"{parent}.{key}"


def type_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else type(value).__name__
    )
