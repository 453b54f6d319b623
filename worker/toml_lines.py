"""Line numbers for TOML keys: tomllib gives none, and an error that names its line is one people can fix."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

KEY_PART = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*""")
HEADER = re.compile(r"^\[\[?([^\[\]]+)\]\]?\s*(#.*)?$")


def split_key(text: str) -> tuple[str, ...] | None:
    """A TOML dotted key ('a.b', '"a".b', 'a . "b"') as its parts, or None when it is not one."""
    parts: list[str] = []
    position = 0
    while True:
        match = KEY_PART.match(text, position)
        if match is None:
            return None
        parts.append(next(group for group in match.groups() if group is not None))
        position = match.end()
        if position == len(text):
            return tuple(parts)
        if text[position] != ".":
            return None
        position += 1


def defined_keys(text: str) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line number, full key path) for every table header and key/value line of a TOML text."""
    table: tuple[str, ...] = ()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        header = HEADER.match(line)
        if header:
            table = split_key(header.group(1)) or table
            yield number, table
            continue
        if "=" in line and not line.startswith("#"):
            key = split_key(line.split("=", 1)[0])
            if key is not None:
                yield number, table + key


def read(path: str | Path, setting: str, error: type[Exception]) -> str:
    """The text of the file a setting names, or `error` saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{setting}: cannot read {path}: {exc}") from None


def loads(text: str, path: str, error: type[Exception]) -> dict[str, Any]:
    """A TOML text as tables, or `error` naming the file and the line of the syntax error."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc}); fix the syntax at that line") from None


def located(path: str, problems: list[tuple[int, str]]) -> str:
    """Problems as lines that name the file and, when known (not 0), the line: "rules.toml, line 3: ..."."""
    return "\n".join(f"{path}, line {line}: {message}" if line else f"{path}: {message}" for line, message in problems)


def line_of(text: str, path: tuple[str, ...]) -> int | None:
    """The line that defines `path`, or the closest enclosing table/key; None when nothing on the path is defined."""
    best: tuple[int, int] | None = None  # (matched depth, line)
    for number, key in defined_keys(text):
        depth = len(path) if key[: len(path)] == path else len(key) if key == path[: len(key)] else 0
        if depth and (best is None or depth > best[0]):
            best = (depth, number)
    return None if best is None else best[1]
