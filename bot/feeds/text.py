"""Feed text made safe to show: markup stripped, entities decoded, mentions that would ping a
whole channel broken, length capped. A feed is a stranger's text; chat shows none of its
markup (the adapters escape again on the way out: this is the first of two guards)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_QUOTE = 1000
"""A feed's quote candidate (title and summary): enough to judge, short enough to read."""
MAX_TITLE = 200

_CHAT_MARKUP = re.compile(r"<[@#!][^<>]*>")
"""Slack and Discord mentions written raw (<!channel>, <@U1>, <@&123>): never kept."""
_BROADCAST = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_SPACE = re.compile(r"\s+")


class _Text(HTMLParser):
    """The text of an HTML fragment (the standard library's parser: no tags survive, entities
    are decoded, script and style contents are dropped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(markup: str | None, limit: int = MAX_QUOTE) -> str:
    """'<p>Hungary <b>backs</b> Rutte &amp; more</p>' -> 'Hungary backs Rutte & more'."""
    if not markup:
        return ""
    parser = _Text()
    parser.feed(_CHAT_MARKUP.sub(" ", markup))
    parser.close()
    text = _SPACE.sub(" ", "".join(parser.parts)).strip()
    text = _CHAT_MARKUP.sub(" ", text)  # entities decoded into new markup (&lt;!channel&gt;)
    text = _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)
    text = text.replace("<", "‹").replace(">", "›")
    return cap(_SPACE.sub(" ", text).strip(), limit)


def cap(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def quote_of(title: str, summary: str) -> str:
    """The quote candidate: the headline, then as much of the summary as fits."""
    if not summary or summary == title:
        return cap(title, MAX_QUOTE)
    return cap(f"{title} — {summary}", MAX_QUOTE)
