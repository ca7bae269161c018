"""User text never pings, links or double-encodes: quotes, speakers, titles, mentions."""

from __future__ import annotations

from adapters.slack.escape import decode_slack_text, inert, inert_with_links
from bot.app import Core
from tests.fakes.slack_api import slack_encode
from tests.slack.conftest import LISTED, SlackHarness, all_text, declarations

# What Slack puts in `text` (should_escape: true) when a user types
#   quote="Tell @channel @here @everyone & <!channel> to ask @ann or @team <3"
# in a slash command: real mentions become markup, typed characters are entity-encoded.
INJECTED_QUOTE = (
    "Tell <!channel> <!here> <!everyone> "
    + slack_encode("& <!channel> ")
    + "to ask <@U123> or <@U0BOB|bob> or <!subteam^S0TEAM|@team> "
    + slack_encode("<3")
)


async def test_mentions_in_a_quote_are_neutralised(slack: SlackHarness, slack_core: Core) -> None:
    text = f'declare SK support rutte quote="{INJECTED_QUOTE}" speaker="<@U0BOB|bob>"'
    recorded = await slack.command(text, user=LISTED)
    assert recorded.post.payload["response_type"] == "in_channel"
    [declaration] = await declarations(slack_core, "SK")
    # The core keeps what the user typed, decoded once (no &amp; in the record).
    assert declaration.quote is not None
    assert "& <!channel> " in declaration.quote
    assert "&amp;" not in declaration.quote

    shown = await slack.command("position SK")
    payload = all_text(shown.post)
    for ping in ("<!channel", "<!here", "<!everyone", "<!subteam", "<@U123", "<@U0BOB"):
        assert ping not in payload
    assert "&amp;amp;" not in payload and "&amp;lt;" not in payload
    assert "@\u2060channel" in payload and "@\u2060everyone" in payload
    assert "@bob" in payload and "@U123" in payload and "@team" in payload
    assert "&amp; &lt;!channel&gt;" not in payload  # the typed markup is made readable too
    assert "&lt;3" in payload
    assert "link_names" not in shown.post.payload and "parse" not in shown.post.payload
    for block in shown.post.blocks:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if obj and obj.get("type") == "mrkdwn":
                assert obj["verbatim"] is True


def test_decode_then_inert_round_trip() -> None:
    typed = "R&D <b>bold</b> @here"
    assert decode_slack_text(slack_encode(typed)) == typed
    assert inert(typed) == "R&amp;D &lt;b&gt;bold&lt;/b&gt; @\u2060here"


def test_masked_links_from_users_show_words_only() -> None:
    assert inert("see <https://evil.example|the report>") == "see the report"
    assert inert("<#C123|general> <!date^1392734382^{date}|Feb 18>") == "#general Feb 18"


def test_sources_become_links_and_nothing_else() -> None:
    text = inert_with_links("· https://example.org/a?x=1&y=<2> · <!channel>")
    assert text == "· <https://example.org/a?x=1&amp;y=>&lt;2&gt; · @\u2060channel"
