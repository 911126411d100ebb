"""Free text from the API (neighbourhood names and descriptions, priorities, officer bios) may hold
HTML markup and entities (``Leake &amp; Keyworth``, ``<p>…</p>``). We keep it as plain text: tags
are dropped, entities decoded. The result is data, never markup — whatever displays it must
escape it as it would any other text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({"p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "tr"})
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")


def html_to_text(value: str) -> str:
    """Plain text of an API string that may contain HTML tags or entities."""
    if "<" not in value and "&" not in value:
        return value.strip()
    collector = _TextCollector()
    collector.feed(value)
    collector.close()
    lines = (_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def opt_html_to_text(value: str | None) -> str | None:
    return None if value is None else html_to_text(value)
