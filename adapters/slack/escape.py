"""Slack text encoding in and out.

Slash-command text arrives Slack-encoded (`&amp;`, `&lt;`, `&gt;`); we decode it once so the
core stores what the user typed. Everything we send back is built from plain core text: special
markup (`<!channel>`, `<@U123|ann>`, `<!subteam^S1|@team>`, `<#C1|general>`, masked links) is
turned into readable, inert text and `&`, `<`, `>` are escaped, so nothing pings or links
unless we build the link ourselves (sources).
"""

from __future__ import annotations

import re

_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
_MARKUP = re.compile(r"<([@#!][^<>\s|]*(?:\|[^<>]*)?|(?:https?|mailto|tel):[^<>]*)>")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"
_URL = re.compile(r"https?://[^\s<>|\"“”]+[^\s<>|\"“”.,;:!?)\]]")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def decode_slack_text(text: str) -> str:
    """Undo Slack's three-entity encoding of user text (done once, on the way in)."""
    for entity, char in _ENTITIES:
        text = text.replace(entity, char)
    return text


def _readable(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith("@"):  # <@U123|ann> user mention
        return "@" + (label or target[1:])
    if target.startswith("#"):  # <#C123|general> channel link
        return "#" + (label or target[1:])
    if target.startswith("!subteam^"):  # <!subteam^S1|@team> user group
        return label or "@" + target.removeprefix("!subteam^")
    if target.startswith("!"):  # <!channel>, <!here>, <!everyone>, <!date^...|fallback>
        return label or "@" + target[1:]
    return label or target  # <http://x|label> masked link: show its words, link nothing


def _escape(text: str) -> str:
    text = _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def inert(text: str) -> str:
    """Plain user text -> Slack mrkdwn that shows the same words and pings/links nothing."""
    return _escape(_MARKUP.sub(_readable, text))


def inert_with_links(text: str) -> str:
    """`inert`, except http(s) URLs (the sources we show) become explicit `<url>` links."""
    text = _MARKUP.sub(_readable, text)
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(_escape(text[last : match.start()]))
        out.append(f"<{_escape(match.group(0))}>")
        last = match.end()
    out.append(_escape(text[last:]))
    return "".join(out)


def plain(text: str) -> str:
    """For plain_text objects (header, button): Slack renders them as-is, only markup is
    made readable and broadcast words inert."""
    text = _MARKUP.sub(_readable, text)
    return _BROADCAST.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)


def clip_mrkdwn(text: str, limit: int) -> str:
    """Cut escaped text to `limit` without splitting an entity or a `<link>`."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    cut = _PARTIAL_ENTITY.sub("", cut)
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut + "…"
