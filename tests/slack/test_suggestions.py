"""Suggest and review on Slack, through Bolt's real signed requests and the fake Web API:
buttons carry the suggestion id in their action_id, Edit and Reject open modals (views.open)
whose submissions run the command, and suggesters hear the outcome in the app's messages."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from adapters.slack.app import build_app
from adapters.slack.client import interactive_client
from adapters.slack.sender import create_sender
from bot.alerts.delivery import DeliveryPolicy
from bot.alerts.scheduler import AlertScheduler
from bot.app import Core
from bot.settings import Settings
from bot.suggestions.model import SuggestionRules
from tallybot.wiring import open_core
from tests.conftest import Clock, open_demo_core
from tests.fakes.slack_api import (
    DEFAULT_TOKEN,
    FakeSlackApi,
    ResponsePost,
    signed_headers,
    view_submission_body,
)
from tests.slack.conftest import (
    ADMIN,
    ANN,
    BOB,
    LISTED,
    SECRET,
    SlackHarness,
    all_text,
    declarations,
    header,
)

SOURCE = "https://example.org/budapest-backs-rutte"
SUGGEST_HU = f'suggest HU support rutte source={SOURCE} date=2024-06-18 quote="We back him"'


def tell_through_slack(core: Core, settings: Settings) -> None:
    """What `tallybot run` wires: the Slack sender tells suggesters directly."""
    core.dispatcher.messengers["slack"] = create_sender(settings)


def buttons(post: ResponsePost) -> dict[str, str]:
    """{action_id: label} of every button in the message."""
    return {
        e["action_id"]: e["text"]["text"]
        for b in post.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    }


async def submit(slack: SlackHarness, view: dict[str, Any], values: dict[str, str], user=LISTED):  # type: ignore[no-untyped-def]
    body = view_submission_body(view, values, user_id=user[0], user_name=user[1])
    response = await slack.send(body, signed_headers(SECRET, body))
    await slack.commands.drain()
    return response


async def test_suggest_review_confirm_credits_and_tells_the_suggester(
    slack: SlackHarness, slack_core: Core, slack_settings: Settings
) -> None:
    tell_through_slack(slack_core, slack_settings)
    before = len(await declarations(slack_core, "HU"))
    sent = (await slack.command(SUGGEST_HU, user=ANN)).post
    assert sent.payload["response_type"] == "ephemeral"
    assert header(sent) == "ℹ️ Sent to the moderators: 🇭🇺\u00a0Hungary backs Mark Rutte"
    assert buttons(sent) == {}  # a write's private answer has nothing to share
    assert len(await declarations(slack_core, "HU")) == before  # nothing recorded

    refused = (await slack.command("review", user=ANN)).post
    assert "Only moderators" in header(refused)

    queue = (await slack.command("review", user=LISTED)).post
    assert queue.payload["response_type"] == "ephemeral"
    assert buttons(queue) == {
        "tally:sugg:confirm:1": "Confirm",
        "tally:sugg:edit:1": "Edit",
        "tally:sugg:reject:1": "Reject",
    }  # and no "Share in channel": the queue is the moderator's
    text = all_text(queue)
    assert "Now: opposes Mark Rutte (since 2024-03-05, #5)" in text
    assert "suggested by ann" in text and SOURCE in text

    confirmed = (await slack.click("", user=LISTED, action_id="tally:sugg:confirm:1")).post
    assert confirmed.payload["response_type"] == "in_channel"
    assert header(confirmed).startswith("⏳ Recorded #31: 🇭🇺\u00a0Hungary backs Mark Rutte")
    assert "Suggested by ann (suggestion #1), confirmed by max" in all_text(confirmed)
    [latest, *_] = await declarations(slack_core, "HU")
    assert latest.recorded_by == "slack:T0TEST:U0MOD (suggested by ann, confirmed by max)"
    await slack.api.wait_for(lambda: bool(slack.api.messages_in(ANN[0])))
    [told] = slack.api.messages_in(ANN[0])
    assert "Your suggestion #1 was confirmed" in told.text
    history = (await slack.command("history member=HU limit=1", user=ANN)).post
    assert "suggested by ann, confirmed by max" in all_text(history)


async def test_a_double_press_and_two_moderators_at_once_record_once(
    slack: SlackHarness, slack_core: Core
) -> None:
    await slack.command(SUGGEST_HU, user=ANN)
    before = len(await declarations(slack_core, "HU"))
    first, second = await asyncio.gather(
        slack.click("", user=LISTED, action_id="tally:sugg:confirm:1"),
        slack.click("", user=ADMIN, action_id="tally:sugg:confirm:1"),
    )
    again = await slack.click("", user=LISTED, action_id="tally:sugg:confirm:1")
    assert len(await declarations(slack_core, "HU")) == before + 1
    headers = sorted(header(a.post) for a in (first, second, again))
    recorded = [h for h in headers if "Recorded #31" in h]
    already = [h for h in headers if "was already confirmed by" in h]
    assert len(recorded) == 1 and len(already) == 2, headers
    assert "(recorded as #31)" in already[0]


async def test_a_non_moderator_press_is_refused_and_the_queue_unchanged(
    slack: SlackHarness, slack_core: Core
) -> None:
    await slack.command(SUGGEST_HU, user=ANN)
    for verb in ("confirm", "edit", "reject"):
        answer = (await slack.click("", user=BOB, action_id=f"tally:sugg:{verb}:1")).post
        assert answer.payload["response_type"] == "ephemeral"
        assert "Only moderators" in header(answer)
    assert slack.api.views == []  # no form was opened for a non-moderator
    queue = (await slack.command("review", user=LISTED)).post
    assert "tally:sugg:confirm:1" in buttons(queue)


async def test_buttons_work_after_a_restart(
    slack_settings: Settings, slack_api: FakeSlackApi, clock: Clock
) -> None:
    slack_core = await open_demo_core(slack_settings, clock)
    client = interactive_client(DEFAULT_TOKEN, slack_api.api_url)
    app, commands = build_app(slack_core, client, signing_secret=SECRET)
    before = SlackHarness(app, commands, slack_api)
    await before.command(SUGGEST_HU, user=ANN)
    queue = (await before.command("review", user=LISTED)).post
    [confirm_id] = [a for a in buttons(queue) if a.startswith("tally:sugg:confirm:")]
    await commands.response_urls.close()
    slack_core.close()  # the process ends: nothing of the app or the core is kept

    core = open_core(slack_settings, clock)
    try:
        app, commands = build_app(
            core, interactive_client(DEFAULT_TOKEN, slack_api.api_url), signing_secret=SECRET
        )
        after = SlackHarness(app, commands, slack_api)
        pressed = (await after.click("", user=LISTED, action_id=confirm_id)).post
        assert header(pressed).startswith("⏳ Recorded #31: 🇭🇺\u00a0Hungary backs Mark Rutte")
        await commands.response_urls.close()
    finally:
        core.close()


async def test_edit_opens_a_prefilled_modal_whose_submit_confirms_the_edit(
    slack: SlackHarness, slack_core: Core, slack_settings: Settings
) -> None:
    tell_through_slack(slack_core, slack_settings)
    await slack.command(SUGGEST_HU, user=ANN)
    await slack.click("", user=LISTED, action_id="tally:sugg:edit:1")
    [view] = slack.api.views
    assert view["callback_id"] == "tally:suggform:edit:1"
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert prefilled == {
        "stance": "support",
        "target": "Mark Rutte",
        "date": "2024-06-18",
        "quote": "We back him",
        "speaker": None,
    }
    response = await submit(
        slack, view, {"stance": "lean-support", "quote": "", "speaker": "Viktor Orban"}
    )
    assert response.status == 200
    [latest, *_] = await declarations(slack_core, "HU")
    assert (str(latest.stance), latest.quote, latest.speaker) == (
        "lean-support",
        None,
        "Viktor Orban",
    )
    posted = [p for p in slack.api.responses if "Recorded #31" in json.dumps(p.payload)]
    assert posted and posted[0].payload["response_type"] == "in_channel"
    assert "edited" in all_text(posted[0])


async def test_reject_with_a_reason_tells_the_suggester(
    slack: SlackHarness, slack_core: Core, slack_settings: Settings
) -> None:
    tell_through_slack(slack_core, slack_settings)
    await slack.command(SUGGEST_HU, user=ANN)
    before = len(await declarations(slack_core, "HU"))
    await slack.click("", user=LISTED, action_id="tally:sugg:reject:1")
    [view] = slack.api.views
    await submit(slack, view, {"reason": "an anonymous source"})
    assert len(await declarations(slack_core, "HU")) == before
    await slack.api.wait_for(lambda: bool(slack.api.messages_in(ANN[0])))
    [told] = slack.api.messages_in(ANN[0])
    assert "was not recorded" in told.text
    assert "an anonymous source" in json.dumps(told.blocks)
    pressed_again = (await slack.click("", user=LISTED, action_id="tally:sugg:confirm:1")).post
    assert "was already rejected by max" in header(pressed_again)


async def test_duplicates_merge_and_the_rate_limit_says_so(
    slack: SlackHarness, slack_core: Core
) -> None:
    slack_core.dispatcher.suggestion_rules = SuggestionRules(per_hour=2)
    await slack.command(SUGGEST_HU, user=ANN)
    other = SUGGEST_HU.replace(SOURCE, "https://example.org/second-report")
    merged = (await slack.command(other, user=BOB)).post
    assert "your source joins suggestion #1 (2 sources)" in all_text(merged)
    queue = all_text((await slack.command("review", user=LISTED)).post)
    assert SOURCE in queue and "https://example.org/second-report" in queue
    assert "1 suggestion to review" in queue
    await slack.command(SUGGEST_HU.replace("HU", "SK"), user=ANN)
    limited = (await slack.command(SUGGEST_HU.replace("HU", "TR"), user=ANN)).post
    assert header(limited) == (
        "⚠️ You have sent 2 suggestions in the last hour, the most allowed "
        "(TALLYBOT_SUGGESTIONS_PER_HOUR=2); this one was not sent. Try again later."
    )


async def test_mentions_in_a_suggestion_never_ping(slack: SlackHarness, slack_core: Core) -> None:
    quote = "Tell <!channel> <!everyone> and @here: <@U0BOB|bob> backs him"
    await slack.command(
        f'suggest HU support rutte source={SOURCE} quote="{quote}" speaker="<!here>"', user=ANN
    )
    queue = (await slack.command("review", user=LISTED)).post
    confirmed = (await slack.click("", user=LISTED, action_id="tally:sugg:confirm:1")).post
    for post in (queue, confirmed):
        payload = all_text(post)
        for ping in ("<!channel", "<!here", "<!everyone", "<@U0BOB"):
            assert ping not in payload
        assert "@\u2060channel" in payload and "@\u2060here" in payload


async def test_a_moderators_channel_subscribed_to_suggestions_gets_each_new_one(
    slack: SlackHarness, slack_core: Core, slack_settings: Settings
) -> None:
    subscribed = await slack.command(
        "subscribe nato-sg-2024 mode=suggestions", user=LISTED, channel_id="C0MODS"
    )
    assert "every change and each new suggestion" in all_text(subscribed.post)
    await slack.command(SUGGEST_HU, user=ANN)
    await slack.command(SUGGEST_HU.replace(SOURCE, "https://example.org/again"), user=BOB)
    sender = create_sender(slack_settings)
    policy = DeliveryPolicy(send_timeout=2, backoff_base=0.01, backoff_max=0.1, run_attempts=3)
    await AlertScheduler(
        slack_core.store, {"slack": sender}, slack_core.dispatcher.clock, policy
    ).run_once()
    [alert] = slack.api.messages_in("C0MODS")  # the merged duplicate is not announced again
    assert "Suggestion #1 on nato-sg-2024: 🇭🇺\u00a0Hungary backs Mark Rutte" in alert.text
    await slack.click("", user=LISTED, action_id="tally:sugg:confirm:1")
    await AlertScheduler(
        slack_core.store, {"slack": sender}, slack_core.dispatcher.clock, policy
    ).run_once()
    assert len(slack.api.messages_in("C0MODS")) == 2  # and the change it recorded


async def test_a_full_queue_of_long_quotes_stays_within_block_kit(slack: SlackHarness) -> None:
    for member in ("HU", "SK", "TR", "RO", "HR", "BG"):
        long_quote = f"{member} says: " + "we will decide in due course. " * 130  # ~4,000
        text = f'suggest {member} support rutte source={SOURCE} quote="{long_quote}"'
        assert "Sent to the moderators" in header((await slack.command(text, user=ANN)).post)
    queue = (await slack.command("review", user=LISTED)).post  # the fake checks the limits
    assert len(buttons(queue)) == 15
    assert "Showing the oldest 5" in all_text(queue)


async def test_edit_keeps_a_quote_longer_than_a_slack_field(
    slack: SlackHarness, slack_core: Core
) -> None:
    """A 3,500-character quote (suggest takes 4,000) is not prefilled cut to Slack's 3,000: the
    form says it is kept, and the edited confirm records it whole."""
    quote = "We back him. " * 269  # 3,497 characters
    await slack.command(SUGGEST_HU.replace('"We back him"', f'"{quote}"'), user=ANN)
    await slack.click("", user=LISTED, action_id="tally:sugg:edit:1")
    [view] = slack.api.views
    kept = next(b for b in view["blocks"] if b["block_id"] == "quote")
    assert kept["type"] == "section" and "kept as suggested" in kept["text"]["text"]
    await submit(slack, view, {"stance": "lean-support", "speaker": ""})
    [latest, *_] = await declarations(slack_core, "HU")
    assert (str(latest.stance), latest.quote) == ("lean-support", quote.strip())
