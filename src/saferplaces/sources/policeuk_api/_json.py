"""Decoding API bodies: strict JSON with messages that say what is wrong, and a small typed
accessor (:class:`Node`) so parsers never index into ``Any``."""

from __future__ import annotations

import json
import re
from typing import NoReturn

# A key without quotes at the start of a line: the body is a JavaScript object literal
# (some mirrors and old docs serve these), which no JSON parser accepts.
_JS_KEY = re.compile(r"^\s*[A-Za-z_$][\w$]*\s*:", re.MULTILINE)


class ShapeError(ValueError):
    """Valid JSON, but not the shape the API documents. The message carries a JSON path."""


def decode_json(body: bytes) -> object:
    """Parse an API body. Raises :class:`ValueError` whose message says what is wrong."""
    # Some responses (and saved copies) start with a UTF-8 byte order mark.
    text = body.decode("utf-8-sig", errors="replace")
    if not text.strip():
        raise ValueError("empty response body (expected JSON)")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        if _JS_KEY.search(text):
            raise ValueError(
                "body is a JavaScript object literal (unquoted keys), not JSON"
            ) from None
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise ValueError(
                f"body ends early at line {exc.lineno} (truncated JSON: {exc.msg})"
            ) from None
        raise ValueError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None


class Node:
    """A JSON value and its path, with typed getters that raise :class:`ShapeError`."""

    __slots__ = ("path", "value")

    def __init__(self, value: object, path: str = "$") -> None:
        self.value = value
        self.path = path

    def _fail(self, expected: str) -> NoReturn:
        raise ShapeError(f"{self.path}: expected {expected}, got {_kind(self.value)}")

    def is_null(self) -> bool:
        return self.value is None

    def __getitem__(self, key: str) -> Node:
        """The member ``key`` of an object (a null node when absent)."""
        if not isinstance(self.value, dict):
            self._fail(f"an object with '{key}'")
        return Node(self.value.get(key), f"{self.path}.{key}")

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and key in self.value

    def items(self) -> list[Node]:
        if not isinstance(self.value, list):
            self._fail("a list")
        return [Node(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    def entries(self) -> dict[str, Node]:
        if not isinstance(self.value, dict):
            self._fail("an object")
        return {str(k): Node(v, f"{self.path}.{k}") for k, v in self.value.items()}

    def text(self) -> str:
        if not isinstance(self.value, str):
            self._fail("a string")
        return self.value

    def opt_text(self) -> str | None:
        return None if self.value is None else self.text()

    def integer(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            self._fail("an integer")
        return self.value

    def opt_integer(self) -> int | None:
        return None if self.value is None else self.integer()

    def opt_bool(self) -> bool | None:
        if self.value is None or isinstance(self.value, bool):
            return self.value
        self._fail("true, false or null")


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number"
    )
