"""/tally through Bolt's real request path: every command of the spec, rights, signatures."""

from __future__ import annotations

import time

import pytest

from adapters.slack.blocks import MARKS
from adapters.slack.escape import plain
from bot.app import Core
from bot.commands.context import Actor
from bot.commands.parser import Invocation
from bot.commands.spec import Command, Param, ParamKind
from bot.replies import Reply, Visibility
from tests.fakes.slack_api import FakeSlackApi
from tests.slack.conftest import ADMIN, ANN, BOB, LISTED, SlackHarness, declarations, header

# Values for required parameters by kind; a few names need a value of their own.
SAMPLE_BY_KIND = {
    ParamKind.MEMBER: "SK",
    ParamKind.TRACKER: "nato-sg-2024",
    ParamKind.CANDIDATE: "rutte",
    ParamKind.DATE: "2024-04-03",
    ParamKind.URL: "https://example.org/report",
    ParamKind.RULE: "unanimity",
    ParamKind.BODY: "nato",
    ParamKind.USER: "<@U0BOB|bob>",
    ParamKind.TEXT: '"a sample text"',
}
SAMPLE_BY_NAME = {
    "slug": "slack-test",
    "candidates": '"Ann Example,Bob Example"',
    "declaration_id": "#1",
    "id": "#1",
    "to": '"Mark Rutte Jr"',
    "candidate": "iohannis",
    "command": "declare",
    "changes": "HU support",
    "feed": "1",
}
OPTIONAL_ALWAYS = {"candidates", "target", "title", "quote", "tracker"}
"""Optional in the spec, yet the sample needs them: a selection lists candidates, a
declaration names one, an edit changes a title and an amendment a quote; the tracker is named
because `tracker reopen` leaves two open."""


def sample_value(param: Param) -> str:
    if param.name in SAMPLE_BY_NAME:
        return SAMPLE_BY_NAME[param.name]
    if param.kind is ParamKind.CHOICE:
        return param.choices[0]
    if param.kind is ParamKind.INTEGER:
        return str(param.min_value or 1)
    return SAMPLE_BY_KIND[param.kind]


def sample_text(command: Command) -> str:
    """A valid invocation built from the spec alone, so a new command is covered unasked."""
    words = list(command.path)
    for param in command.params:
        if not (param.required or param.name in OPTIONAL_ALWAYS):
            continue
        value = sample_value(param)
        words.append(value if param.positional else f"{param.name}={value}")
    return " ".join(words)


async def _invite_from_another_community(core: Core) -> str:
    """A code from a Discord server's own community, for `community join`."""
    admin = Actor("discord", "4242", "7", "admin", platform_moderator=True, channel="1")
    reply = await core.dispatcher.run_text("/tally community invite", admin)
    assert reply.ok, reply.title
    return str(reply.data["code"])


async def _fresh_suggestion(core: Core) -> int:
    reader = Actor("slack", "T0TEST", "U0ANN", "ann", channel="C0GENERAL")
    text = "/tally suggest SK oppose rutte source=https://example.org/sk"
    reply = await core.dispatcher.run_text(text, reader)
    assert reply.ok, reply.title
    return int(reply.data["suggestion"]["id"])


async def test_every_command_of_the_spec_answers_through_slack(
    slack: SlackHarness, slack_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Reply] = []
    run_invocation = slack_core.dispatcher.run_invocation

    async def recording(invocation: Invocation, actor: Actor) -> Reply:
        reply = await run_invocation(invocation, actor)
        seen.append(reply)
        return reply

    monkeypatch.setattr(slack_core.dispatcher, "run_invocation", recording)
    covered = []
    for command in slack_core.dispatcher.commands:
        text = sample_text(command)
        if command.key == "community-join":  # its one valid argument exists only at run time
            text = f"community join {await _invite_from_another_community(slack_core)}"
        if command.key == "reject":  # confirm decided the first suggestion: reject another
            text = f"reject {await _fresh_suggestion(slack_core)}"
        answer = await slack.command(text, user=LISTED)
        assert answer.status == 200
        assert answer.ack_body == ""  # acked empty: the answer comes via response_url
        reply = seen[-1]
        assert reply.ok, f"{command.key}: {reply.title}"
        post = answer.post  # exactly one answer, accepted by the fake's Block Kit checks
        mark = MARKS[reply.colour]
        assert header(post) == plain(f"{mark} {reply.title}".strip())[:150]
        expected = "in_channel" if reply.visibility is Visibility.PUBLIC else "ephemeral"
        assert post.payload["response_type"] == expected
        covered.append(command.key)
    assert covered == [c.key for c in slack_core.dispatcher.commands]
    assert len(covered) >= 14


async def test_the_tally_reads_ephemeral_with_a_share_button(slack: SlackHarness) -> None:
    answer = await slack.command("")
    post = answer.post
    assert post.payload["response_type"] == "ephemeral"
    assert "28" in header(post) or any("28" in str(b) for b in post.blocks)
    actions = [b for b in post.blocks if b["type"] == "actions"]
    assert actions and actions[0]["elements"][0]["action_id"] == "tally_share"
    assert post.payload["unfurl_links"] is False
    assert "link_names" not in post.payload


async def test_non_moderator_is_refused_and_nothing_is_written(
    slack: SlackHarness, slack_core: Core
) -> None:
    answer = await slack.command("declare SK support rutte", user=ANN)
    post = answer.post
    assert post.payload["response_type"] == "ephemeral"
    assert "Only moderators" in header(post)
    assert not [b for b in post.blocks if b["type"] == "actions"]  # no Share for a refusal
    assert await declarations(slack_core, "SK") == []
    assert [c.payload["user"] for c in slack.api.calls("users.info")] == [ANN[0]]


async def test_listed_moderator_records_in_channel(slack: SlackHarness, slack_core: Core) -> None:
    answer = await slack.command("declare SK support rutte date=2024-04-03", user=LISTED)
    post = answer.post
    assert post.payload["response_type"] == "in_channel"
    assert header(post).startswith(("✅", "⛔", "⏳", "ℹ️"))
    assert "Recorded #" in header(post)
    assert "Recorded by max" in str(post.blocks)
    [declaration] = await declarations(slack_core, "SK")
    assert declaration.recorded_by == f"slack:{slack.api.team_id}:{LISTED[0]} (max)"
    assert slack.api.calls("users.info") == []  # the settings list needs no lookup


async def test_workspace_admin_records_and_users_info_is_cached(
    slack: SlackHarness, slack_core: Core
) -> None:
    first = await slack.command("declare SK support rutte date=2024-04-03", user=ADMIN)
    second = await slack.command("declare TR oppose rutte date=2024-04-04", user=ADMIN)
    assert first.post.payload["response_type"] == "in_channel"
    assert second.post.payload["response_type"] == "in_channel"
    [sk] = await declarations(slack_core, "SK")
    assert sk.recorded_by.endswith(f"{ADMIN[0]} (Ada Admin)")
    assert len(await declarations(slack_core, "TR")) == 1
    assert len(slack.api.calls("users.info")) == 1


async def test_moderator_added_in_slack_can_then_write(
    slack: SlackHarness, slack_core: Core
) -> None:
    refused = await slack.command("declare SK support rutte", user=BOB)
    assert "Only moderators" in header(refused.post)
    added = await slack.command("moderator add <@U0BOB|bob>", user=ADMIN)
    assert added.post.payload["response_type"] == "in_channel"
    assert header(added.post) == "ℹ️ U0BOB is now a moderator"
    recorded = await slack.command("declare SK support rutte", user=BOB)
    assert recorded.post.payload["response_type"] == "in_channel"
    assert len(await declarations(slack_core, "SK")) == 1


@pytest.mark.parametrize(
    ("secret", "age"),
    [("forged-secret", 0), (None, 6 * 60)],
    ids=["forged signature", "stale timestamp"],
)
async def test_unsigned_requests_are_rejected_and_nothing_written(
    slack: SlackHarness, slack_core: Core, secret: str | None, age: int
) -> None:
    from tests.slack.conftest import SECRET

    answer = await slack.command(
        "declare SK support rutte",
        user=LISTED,
        secret=secret or SECRET,
        timestamp=int(time.time()) - age,
    )
    assert answer.status == 401
    assert answer.posts == []
    assert slack.api.requests == []  # nothing reached Slack: no auth.test, no users.info
    assert await declarations(slack_core, "SK") == []


async def test_user_errors_come_back_as_ephemeral_messages(slack: SlackHarness) -> None:
    answer = await slack.command("position Atlantis")
    post = answer.post
    assert post.payload["response_type"] == "ephemeral"
    assert header(post).startswith("⚠️")
    assert "Traceback" not in str(post.payload)


@pytest.mark.parametrize("text", ["/help", "help", "/tally help"])
async def test_help_typed_with_a_slash_answers_in_slack(slack: SlackHarness, text: str) -> None:
    answer = await slack.command(text)
    assert "tallybot: the tally of a decision" in header(answer.post)


async def test_a_mistyped_command_gets_did_you_mean_in_slack(slack: SlackHarness) -> None:
    answer = await slack.command("decalre SK support rutte")
    assert "Did you mean /tally declare?" in header(answer.post)


async def test_a_crash_in_the_adapter_is_an_apology_not_a_traceback(
    slack: SlackHarness, slack_core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(invocation: Invocation, actor: Actor) -> Reply:
        raise RuntimeError("boom")

    monkeypatch.setattr(slack_core.dispatcher, "run_invocation", broken)
    answer = await slack.command("")
    assert answer.status == 200
    assert answer.post.payload["text"].startswith("Something went wrong")
    assert "boom" not in str(answer.post.payload)


def test_fake_rejects_what_slack_would(slack_api: FakeSlackApi) -> None:
    from tests.fakes.slack_api import block_kit_problems

    too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    assert block_kit_problems(too_many)
    long_header = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    assert block_kit_problems(long_header)


async def test_channel_scoped_commands_need_an_admin_or_a_moderator(slack: SlackHarness) -> None:
    refused = await slack.command("subscribe nato-sg-2024", user=ANN)
    assert header(refused.post).startswith("⚠️ Only moderators or people who manage")
    allowed = await slack.command("subscribe nato-sg-2024", user=ADMIN)
    assert not header(allowed.post).startswith("⚠️"), header(allowed.post)
