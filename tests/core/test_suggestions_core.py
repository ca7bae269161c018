"""The suggestions core through the store: propose checks like a declaration, merges a
duplicate keeping every source, rate-limits people (not feeds), and expires; a conditional
decide makes a second decision fail."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import Core
from bot.commands.context import Actor
from bot.domain import Stance
from bot.errors import UserError
from bot.settings import Settings, SettingsError
from bot.storage import Transaction
from bot.suggestions.model import NewSuggestion, ProposeResult, SuggestionRules, SuggestionStatus
from bot.suggestions.propose import propose
from tests.conftest import OPERATOR, READER, Clock, open_demo_core

ANN = "slack:T1:U1 (Ann)"


@pytest.fixture
async def demo(db_path: Path, clock: Clock) -> Core:
    core = await open_demo_core(Settings(db_path=db_path), clock)
    yield core  # type: ignore[misc]
    core.close()


def _new(tx: Transaction, **changes: object) -> NewSuggestion:
    community = tx.records.community_of("console", "local")
    assert community is not None
    tracker = tx.records.scoped(community.id).tracker_by_slug("nato-sg-2024")
    assert tracker is not None
    values: dict[str, object] = {
        "community_id": community.id,
        "tracker_id": tracker.id,
        "member": "Hungary",
        "stance": Stance.SUPPORT,
        "target": "rutte",
        "source": "https://example.org/hu-backs-rutte",
        "quote": "We will support him",
        "made_on": date(2024, 6, 18),
        "suggested_by": ANN,
    }
    values.update(changes)
    return NewSuggestion(**values)  # type: ignore[arg-type]


async def _propose(core: Core, clock: Clock, **changes: object) -> ProposeResult:
    rules = SuggestionRules(per_hour=3)
    return await core.store.run(lambda tx: propose(tx, _new(tx, **changes), clock(), rules))


async def test_propose_checks_and_merges_keeping_sources(demo: Core, clock: Clock) -> None:
    first = await _propose(demo, clock)
    assert not first.merged
    s = first.suggestion
    assert (s.member, s.stance, s.status) == ("HU", Stance.SUPPORT, SuggestionStatus.PENDING)
    assert s.candidate_id is not None and s.made_on == date(2024, 6, 18)
    second = await _propose(
        demo, clock, member="HU", source="https://example.org/other", suggested_by="feed:https://f"
    )
    assert second.merged and second.suggestion.id == s.id
    assert [x.url for x in second.suggestion.sources] == [
        "https://example.org/hu-backs-rutte",
        "https://example.org/other",
    ]
    assert second.suggestion.sources[1].suggested_by == "feed:https://f"


async def test_propose_refuses_like_a_declaration(demo: Core, clock: Clock) -> None:
    with pytest.raises(UserError, match="before nato-sg-2024 opened"):
        await _propose(demo, clock, made_on=date(2023, 1, 1))
    with pytest.raises(UserError, match="not a member of NATO"):
        await _propose(demo, clock, member="Austria")
    with pytest.raises(UserError, match="not a web address"):
        await _propose(demo, clock, source="example.org")
    with pytest.raises(UserError, match="source is too long: 3,020 characters"):
        await _propose(demo, clock, source="https://example.org/" + "a" * 3000)  # a feed's link
    with pytest.raises(UserError, match="leave out the candidate"):
        await _propose(demo, clock, stance=Stance.UNDECIDED)
    pending = await demo.store.run(lambda tx: tx.suggestions.count_pending(1), write=False)
    assert pending == 0


async def test_feed_item_without_stance(demo: Core, clock: Clock) -> None:
    result = await _propose(
        demo,
        clock,
        stance=None,
        suggested_by="feed:https://f",
        explanation="matched 'Ungarn' -> Hungary",
    )
    assert result.suggestion.stance is None
    assert result.suggestion.explanation == "matched 'Ungarn' -> Hungary"


async def test_rate_limit_counts_people_not_feeds(demo: Core, clock: Clock) -> None:
    for n in range(3):
        await _propose(demo, clock, source=f"https://example.org/{n}", member=["HU", "SK", "RO"][n])
    with pytest.raises(UserError, match="3 suggestions in the last hour"):
        await _propose(demo, clock, member="TR")
    await _propose(demo, clock, member="TR", suggested_by="feed:https://f")
    clock.now += timedelta(hours=1, seconds=1)
    await _propose(demo, clock, member="TR", source="https://example.org/later")


async def test_expiry_and_conditional_decide(demo: Core, clock: Clock) -> None:
    s = (await _propose(demo, clock)).suggestion
    assert s.expires_at == clock() + timedelta(days=14)

    def decide(tx: Transaction) -> tuple[bool, bool]:
        once = tx.suggestions.decide(s.id, SuggestionStatus.CONFIRMED, "m1", clock())
        twice = tx.suggestions.decide(s.id, SuggestionStatus.REJECTED, "m2", clock())
        return once, twice

    assert await demo.store.run(decide) == (True, False)
    other = (await _propose(demo, clock, member="SK")).suggestion
    clock.now += timedelta(days=15)
    assert await demo.store.run(lambda tx: tx.suggestions.expire(clock())) == 1
    got = await demo.store.run(lambda tx: tx.suggestions.get(other.id), write=False)
    assert got is not None and got.status is SuggestionStatus.EXPIRED


async def test_an_expired_suggestion_leaves_the_queue_and_says_so(demo: Core, clock: Clock) -> None:
    run = demo.dispatcher.run_text
    sent = await run(
        "suggest SK support rutte source=https://example.org/sk date=2024-04-18", READER
    )
    expires = "Expires 2026-12-07 12:00 UTC unless a moderator decides first."
    assert sent.ok and sent.context == (expires,)  # to the minute: not the whole day
    assert (
        "Expires 2026-12-07 12:00 UTC unless decided."
        in (await run("review", OPERATOR)).items[0].lines
    )
    clock.now += timedelta(days=14, seconds=1)
    late = await run("confirm 1", OPERATOR)
    assert late.title == (
        "⚠️ Suggestion #1 expired on 2026-12-07 (not reviewed in time); nothing was recorded. "
        "Suggest it again if it still stands."
    )
    queue = await run("review", OPERATOR)
    assert queue.title == "No suggestions to review."
    assert queue.context == ("Recently decided: #1 expired 2026-12-07",)
    again = await run(
        "suggest SK support rutte source=https://example.org/sk date=2024-04-18", READER
    )
    assert again.ok and again.data["suggestion"]["id"] == 2  # a fresh one, not merged


async def test_a_feed_item_leaves_the_stance_to_the_moderator(demo: Core, clock: Clock) -> None:
    await _propose(
        demo,
        clock,
        stance=None,
        suggested_by="feed:https://news.example/rss",
        explanation="matched 'Ungarn' -> Hungary; 'Rutte' -> Mark Rutte",
    )
    queue = await demo.dispatcher.run_text("review", OPERATOR)
    [item] = queue.items
    assert item.title.endswith("🇭🇺\u00a0Hungary: stance to pick (about Mark Rutte)")
    assert "Why: matched 'Ungarn' -> Hungary; 'Rutte' -> Mark Rutte" in item.lines
    assert "suggested by feed https://news.example/rss" in " ".join(item.lines)
    refused = await demo.dispatcher.run_text("confirm 1", OPERATOR)
    assert "leaves the stance to pick" in refused.title
    done = await demo.dispatcher.run_text("confirm 1 stance=lean-support", OPERATOR)
    assert done.title.startswith("Recorded #31: 🇭🇺\u00a0Hungary leans towards Mark Rutte")
    assert done.notices == ()  # a feed is not told
    assert done.data["declaration"]["recorded_by"] == (
        "console:local:operator (suggested by feed https://news.example/rss, confirmed by Operator)"
    )


async def test_suggestions_stay_in_their_community(demo: Core, clock: Clock) -> None:
    await demo.dispatcher.run_text("suggest SK support rutte source=https://example.org/sk", READER)
    elsewhere = Actor("discord", "4242", "7", "admin", platform_moderator=True, channel="1")
    other = await demo.dispatcher.run_text("confirm 1", elsewhere)
    assert other.title == "⚠️ No suggestion #1. See /tally review."
    dm = Actor("slack", "T9", "U1", "ann", direct=True)
    refused = await demo.dispatcher.run_text(
        "suggest SK support rutte source=https://example.org/sk", dm
    )
    assert refused.title == (
        "⚠️ /tally suggest goes to a community's moderators: run it in one of the community's "
        "channels, not in a direct message."
    )  # it changes no record
    moderator_dm = Actor("console", "local", "operator", "Operator", platform_moderator=True)
    moderator_dm = dataclasses.replace(moderator_dm, direct=True)
    listed = await demo.dispatcher.run_text("feeds list", moderator_dm)
    assert "feeds list shows the community's feeds and their errors: run it in a ch" in listed.title
    for command in ("feeds list", "feeds add https://example.org/a.rss", "feeds remove 1"):
        refused = await demo.dispatcher.run_text(command, READER)
        assert "changes the record" not in refused.title, refused.title
        assert f"/tally {command.split()[0]} {command.split()[1]} " in refused.title


async def test_a_moderator_confirming_their_own_suggestion_is_not_told(demo: Core) -> None:
    run = demo.dispatcher.run_text
    assert (await run("suggest SK support rutte source=https://example.org/sk", OPERATOR)).ok
    done = await run("confirm 1", OPERATOR)
    assert done.ok and done.notices == ()


def test_the_suggestion_settings() -> None:
    assert Settings.from_env({}).suggestions == SuggestionRules(10, timedelta(days=14))
    env = {"TALLYBOT_SUGGESTIONS_PER_HOUR": "3", "TALLYBOT_SUGGESTION_DAYS": "7"}
    assert Settings.from_env(env).suggestions == SuggestionRules(3, timedelta(days=7))
    with pytest.raises(SettingsError, match="TALLYBOT_SUGGESTION_DAYS=0 is not a limit"):
        Settings.from_env({"TALLYBOT_SUGGESTION_DAYS": "0"})
    with pytest.raises(SettingsError, match="TALLYBOT_SUGGESTIONS_PER_HOUR=many"):
        Settings.from_env({"TALLYBOT_SUGGESTIONS_PER_HOUR": "many"})


async def test_a_suggestion_whose_member_left_the_body_still_reads(
    demo: Core, clock: Clock
) -> None:
    await _propose(demo, clock, member="AL")

    def move(tx: Transaction) -> None:
        tracker = tx.records.tracker_by_slug("nato-sg-2024")
        assert tracker is not None
        tx.records.update_tracker(tracker.id, {"body": "eu"})  # Albania is not in the EU

    await demo.store.run(move)
    queue = await demo.dispatcher.run_text("review", OPERATOR)
    assert queue.ok and "AL (not in the EU Council now) backs Mark Rutte" in queue.items[0].title
    refused = await demo.dispatcher.run_text("confirm 1", OPERATOR)
    assert not refused.ok and "Albania is not a member of the EU Council" in refused.title


async def test_an_edit_that_changes_nothing_is_not_called_edited(demo: Core, clock: Clock) -> None:
    await _propose(demo, clock)
    same = await demo.dispatcher.run_text(
        'confirm 1 stance=support target=rutte date=2024-06-18 quote="We will support him"',
        OPERATOR,
    )
    assert same.ok and "edited" not in same.context[0], same.context
    await _propose(demo, clock, member="SK")
    changed = await demo.dispatcher.run_text("confirm 2 speaker=Pellegrini", OPERATOR)
    assert changed.ok and "(suggestion #2, edited)" in changed.context[0]


async def test_a_source_already_offered_is_not_said_to_join(demo: Core) -> None:
    """Offering a source the pending suggestion already has adds nothing: the answer says so
    (not 'your source joins'), and the first to offer it stays its suggester."""
    run = demo.dispatcher.run_text
    url = "https://example.org/sk"
    assert (await run(f"suggest SK support rutte source={url}", READER)).ok
    bob = Actor("console", "local", "bob", "bob")
    again = await run(f"suggest SK support rutte source={url}/", bob)  # another address: joins
    assert "your source joins suggestion #1 (2 sources)" in again.lines[0]
    same = await run(f"suggest SK support rutte source={url}", bob)
    assert same.title.startswith("Already suggested: ")
    assert same.lines == (
        "Suggestion #1 on nato-sg-2024 already has this source (offered by Reader): nothing "
        "was added. Nothing is recorded until a moderator confirms it.",
    )
    assert same.data["known_source"] and len(same.data["suggestion"]["sources"]) == 2


def test_the_subscribe_summary_names_every_mode() -> None:
    """The one-line help (the list, Discord's description) names each mode, suggestions too."""
    from bot.alerts.model import Mode
    from bot.commands.subscriptions import SUBSCRIBE

    assert all(str(mode).rstrip("s") in SUBSCRIBE.summary for mode in Mode)
    assert len(SUBSCRIBE.summary) <= 100  # Discord's limit for a description


async def test_confirm_asks_for_a_candidate_in_its_own_terms(demo: Core) -> None:
    """An 'undecided' suggestion confirmed as support needs a candidate: the answer names
    confirm's target= (declare's 'name one after the stance' has no place here), and the
    suggestion stays pending."""
    run = demo.dispatcher.run_text
    assert (await run("suggest TR undecided source=https://example.org/tr", READER)).ok
    asked = await run("confirm 1 stance=support", OPERATOR)
    assert asked.title == (
        "⚠️ Which candidate? Give one: /tally confirm 1 stance=support target=NAME (the Edit "
        "form's candidate): Mark Rutte, Klaus Iohannis."
    )
    assert (await run("review", OPERATOR)).data["pending"] == 1
    done = await run("confirm 1 stance=support target=rutte", OPERATOR)
    assert done.ok and "Türkiye backs Mark Rutte" in done.title


async def test_a_display_name_with_parentheses_is_still_one_person(
    demo: Core, clock: Clock
) -> None:
    """'Ann (Bob)' is a name, not the end of an id: the person is slack:T1:U1 whatever the
    name, so renaming does not reset the hourly limit and the notice finds user U1."""
    from bot.presentation import who
    from bot.suggestions.model import person_key

    assert person_key("slack:T1:U1 (Ann (Bob))") == "slack:T1:U1"
    assert who("slack:T1:U1 (Ann (Bob))") == "Ann (Bob)"
    assert who("slack:T1:U1 (Ann :))") == "Ann :)"
    for n, member in enumerate(["HU", "SK", "RO"]):
        name = f"slack:T1:U1 (Ann ({n}))"
        await _propose(demo, clock, member=member, source=f"https://e.org/{n}", suggested_by=name)
    with pytest.raises(UserError, match="3 suggestions in the last hour"):
        await _propose(demo, clock, member="TR", suggested_by="slack:T1:U1 (Ann (new))")


async def test_a_suggestion_of_the_position_on_record_says_so(demo: Core) -> None:
    """Readers paste news the tracker already has: the answer tells them, and it is still sent
    (a moderator may want the new report)."""
    run = demo.dispatcher.run_text
    sent = await run("suggest PL support rutte source=https://example.org/pl", READER)
    assert sent.ok and sent.lines[-1] == (
        "Already on record: backs Mark Rutte since 2024-04-02 (#21); a moderator may still add "
        "this report."
    )
    other = await run("suggest PL oppose rutte source=https://example.org/pl2", READER)
    assert not any("Already on record" in line for line in other.lines)
