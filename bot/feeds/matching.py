"""Reading a news item: which members it names, whether it is about the tracker, and what it
says they did.

Pure functions of the item's text, the tracker and its body. Names are found word by word on
transliterated, case-folded text (anyascii, as `bot.members.normalise` does), so 'Türkei',
'Turkei' and 'TÜRKEI' are one word, and only whole words count ('Greeceful' is not Greece).
The body's aliases carry the other languages ('Ungarn', 'Hongrie', 'hongrois'); a few endings
may follow a name ('Ungarns', 'ungarischen', 'hongroise', 'Romanians'). Short names (UK, USA,
U.S.) count only in capitals, and two-letter codes never do ('us', 'it', 'de' are words).

The stance is read only when the text says it plainly ('backs', 'will not support', 'ratifie',
'unterstützt'); otherwise it is left for the moderator to pick. Every finding is explained in
one line: "matched 'Ungarn' -> Hungary; 'Rutte' -> Mark Rutte; 'unterstützt' -> support".
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from bot.domain import Stance, Tracker, TrackerKind
from bot.members import Body, Member


def _words(text: str) -> tuple[str, ...]:
    """A word list written as one string (long lists read better so)."""
    return tuple(text.split())


ENDINGS = ("s", "e", "es", "n", "ne", "nes", "ns", "en", "er", "em")
"""Endings a name may take in running text: plurals and possessives (Hungarians, Ungarns),
German and French adjective endings (ungarischen, hongroise, italienne). Never others:
'Greeceful' is no name."""
MIN_STEM = 4
"""A name takes an ending only if its last word has at least this many letters ('UKs' no)."""
SHORT = 3
"""Names this short (UK, USA, U.S., EL) count only when written in capitals."""
MAX_MEMBERS = 6
"""An item naming more members than this in its deciding sentence suggests the first ones."""
FUZZY_SURNAME = 7
"""A candidate's surname this long also matches with one letter changed (Johannis: Iohannis)."""

STOPWORDS = frozenset(
    _words("""a an and as at by for from in into of on or the to with vs
    au aux de des du en et la le les l un une pour sur
    am an auf aus das dem den der des die ein eine fur im in mit und von zu zum zur""")
)
"""Words of a tracker's title that say nothing about it."""

STAGE_WORDS: dict[str, tuple[str, ...]] = {
    "parliament": _words(
        "parliament parliamentary parliaments lawmakers legislature legislators deputies "
        "ratify ratifies ratified ratifying ratification "
        "parlement parlementaire deputes assemblee ratifie ratifient ratification "
        "parlament parlaments parlamentarier abgeordneten abgeordnete ratifiziert ratifiziere "
        "ratifizierung"
    ),
    "signature": _words(
        "sign signs signed signing signature promulgates promulgated "
        "signe signent signee promulgue promulguee "
        "unterzeichnet unterzeichnete unterzeichnen unterschrift unterschreibt"
    ),
    "deposit": _words(
        "deposit deposits deposited depositing instrument "
        "depose deposent deposee depot hinterlegt hinterlegte hinterlegung"
    ),
}
"""Words that name the usual stages of an approval in English, French and German, for a
tracker whose stages are called so ('parliament,signature,deposit')."""

_N = r"(?:\S+ )"
"""One word in a cue pattern (patterns run on space-separated folded words)."""
SUPPORT_PHRASES = (
    rf"\b(?:lifts?|lifted|drops?|dropped|ends?|ended|withdraws?|withdrew) {_N}?"
    r"(?:objection|objections|opposition|veto|blockade|block)\b",
    r"\bgreen ?light(?:s|ed)?\b",
    r"\bgives? (?:its |his |her |their )?(?:blessing|consent|backing|support)\b",
    r"\bfeu vert\b",
    rf"\bleve {_N}?veto\b",
    r"\bgrunes licht\b",
    rf"\bstimm(?:t|en|te|ten) {_N}{{0,5}}zu\b",
)
"""Idioms of consent, tried before single words ('lifts veto' is not a veto)."""
SUPPORT_WORDS = (
    r"backs|backed|backing",
    r"(?<!\bcome )(?<!\bcame )(?<!\bgo )(?<!\bgot )(?<!\bget )(?<!\bthe )(?<!\bits )"
    r"(?<!\bhis )(?<!\bher )back(?! (?:to|down|off|in|on|from|away|out|up|home|into)\b)",
    r"supports?|supported|supporting",
    r"endorse[sd]?|endorsing|endorsement",
    r"ratif(?:y|ies|ied|ying|ication)",
    r"approves?|approved|approving|approval",
    r"signs?|signed|signing",
    r"deposits?|deposited",
    r"soutien[st]?|soutiennent|soutiendr\w*|soutenir|soutenu\w*",
    r"appui\w*|approuv\w*|ratifi\w*|sign(?:e|ent|ee)|promulgu\w*|rallie\w*",
    r"unterstutz\w*|billig(?:t|en|te|ten)|gebilligt|ratifizier\w*|unterzeichn\w*",
    r"zugestimmt|zustimmung",
)
OPPOSE_WORDS = (
    r"oppose[sd]?|opposing|opposition|objects?|objected|objection",
    r"block(?:s|ed|ing)?|blockade|veto(?:es|ed)?|vetoing|reject(?:s|ed)?|rejecting",
    r"oppos\w*|bloqu\w*|rejet\w*|rejett\w*",
    r"blockier\w*|ablehn\w*|abgelehnt|einspruch",
    rf"lehn(?:t|en|te|ten) {_N}{{0,5}}ab",
)
NEGATIONS = frozenset(
    _words("""not no never t cannot refuse refuses refused refusing decline declines declined
    ne n pas jamais nicht kein keine keinen weigert weigern""")
)
"""Words that turn a cue around ('will not support', "won't back", 'ne soutiendra pas',
'nicht unterstützen'): looked for a few words before the cue and one or two after."""
NEGATION_BEFORE = 5
NEGATION_AFTER = 2
PASSIVE = frozenset(_words("by of from par de du des von vom durch"))
"""After a cue, these make what follows the actor ('backed by Hungary', 'soutien de la
Turquie')."""
ARTICLES = frozenset(_words("the a la le les l der die das den"))
LIST_WORDS = ARTICLES | frozenset(_words("and or et ou und oder sowie s as well"))
"""What may stand between members named in one list: 'the US, the UK and France'."""


@dataclass(frozen=True)
class Word:
    key: str
    """Folded: 'ungarn'."""
    text: str
    """As written: 'Ungarn'."""
    sentence: int


@dataclass(frozen=True)
class Found:
    """A name found in the text."""

    start: int
    end: int
    said: str
    sentence: int


@dataclass(frozen=True)
class MemberFound(Found):
    member: Member


@dataclass(frozen=True)
class TermFound(Found):
    term: str
    """What it names: a candidate's name, a stage, a keyword, a title word."""


@dataclass(frozen=True)
class Cue:
    """A plain statement of a stance: 'will not support' -> oppose."""

    start: int
    end: int
    said: str
    stance: Stance | None
    """None: a cue turned around that says nothing plain ('will not block')."""
    passive: bool
    sentence: int


@dataclass(frozen=True)
class FeedSuggestion:
    """What one item suggests for one member."""

    member: str
    """Member code."""
    stance: Stance | None
    target: str | None
    """Candidate name or stage; None for the moderator to pick."""
    explanation: str


@dataclass(frozen=True)
class ItemReading:
    suggestions: tuple[FeedSuggestion, ...]
    why_not: str | None = None
    """Why the item suggests nothing: 'names no member of NATO', 'not about nato-sg-2024'."""


@dataclass(frozen=True)
class _Name:
    words: tuple[str, ...]
    said_as: str
    capitals: bool


def words_of(texts: Sequence[str]) -> list[Word]:
    """The folded words of each text, sentence by sentence (the first text, a headline, is one
    sentence; the others are split at . ! ? and ;)."""
    from anyascii import anyascii

    out: list[Word] = []
    sentence = 0
    for index, text in enumerate(texts):
        parts = [text] if index == 0 else re.split(r"(?<=[.!?;])\s+", text)
        for part in parts:
            for match in re.finditer(r"\w+", part):
                raw = match.group(0)
                for key in re.findall(r"[a-z0-9]+", anyascii(raw).casefold()):
                    out.append(Word(key, raw, sentence))
            sentence += 1
    return out


def _names(texts: Iterable[str]) -> list[_Name]:
    from bot.members import normalise

    names = []
    for text in texts:
        words = tuple(normalise(text).split())
        if words:
            letters = sum(len(w) for w in words)
            names.append(_Name(words, text, letters <= SHORT))
    return names


def _find(
    words: Sequence[Word], names: Sequence[_Name], fuzzy: bool = False
) -> list[tuple[int, int, _Name]]:
    """Where each name occurs: (start, end, name); the longest name wins at a position."""
    by_first: dict[str, list[_Name]] = {}
    for name in names:
        by_first.setdefault(name.words[0], []).append(name)
    found: list[tuple[int, int, _Name]] = []
    i = 0
    while i < len(words):
        best: tuple[int, _Name] | None = None
        for name in _starting(words[i].key, by_first, fuzzy):
            end = i + len(name.words)
            if end > len(words) or not _same(words[i:end], name, fuzzy):
                continue
            if name.capitals and not all(w.text.isupper() for w in words[i:end]):
                continue
            if best is None or end > best[0]:
                best = (end, name)
        if best is None:
            i += 1
            continue
        found.append((i, best[0], best[1]))
        i = best[0]
    return found


def _starting(key: str, by_first: dict[str, list[_Name]], fuzzy: bool) -> list[_Name]:
    out = list(by_first.get(key, ()))
    for ending in ENDINGS:
        stem = key[: -len(ending)]
        if key.endswith(ending) and len(stem) >= MIN_STEM:
            out += [n for n in by_first.get(stem, ()) if len(n.words) == 1]
    if fuzzy:
        out += [
            n
            for first, names in by_first.items()
            if len(first) >= FUZZY_SURNAME and _one_edit(first, key)
            for n in names
            if len(n.words) == 1
        ]
    return out


def _same(words: Sequence[Word], name: _Name, fuzzy: bool) -> bool:
    *head, last = name.words
    if [w.key for w in words[: len(head)]] != head:
        return False
    key = words[-1].key
    if key == last:
        return True
    if len(last) >= MIN_STEM and any(key == last + e for e in ENDINGS):
        return True
    return fuzzy and len(last) >= FUZZY_SURNAME and _one_edit(last, key)


def _one_edit(a: str, b: str) -> bool:
    """Equal but for one letter replaced, added or dropped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = sorted((a, b), key=len)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _said(words: Sequence[Word], start: int, end: int) -> str:
    shown: list[str] = []
    for word in words[start:end]:
        if not shown or shown[-1] != word.text:  # one raw word may fold to several keys
            shown.append(word.text)
    return " ".join(shown)


def find_members(words: Sequence[Word], members: Iterable[Member]) -> list[MemberFound]:
    """Every mention of a member by name or alias (never by its code)."""
    owner: dict[str, Member] = {}
    names: list[_Name] = []
    for member in members:
        for name in _names((member.name, *member.aliases)):
            if name.words not in {n.words for n in names}:
                names.append(name)
                owner[" ".join(name.words)] = member
    return [
        MemberFound(s, e, _said(words, s, e), words[s].sentence, owner[" ".join(n.words)])
        for s, e, n in _find(words, names)
    ]


def find_terms(
    words: Sequence[Word], terms: Mapping[str, Sequence[str]], fuzzy: bool = False
) -> list[TermFound]:
    """Mentions of each term by any of its spellings ({'Mark Rutte': ['Mark Rutte', 'Rutte']})."""
    owner: dict[str, str] = {}
    names: list[_Name] = []
    for term, spellings in terms.items():
        for name in _names(spellings):
            key = " ".join(name.words)
            if key not in owner:
                owner[key] = term
                names.append(_Name(name.words, name.said_as, False))
    return [
        TermFound(s, e, _said(words, s, e), words[s].sentence, owner[" ".join(n.words)])
        for s, e, n in _find(words, names, fuzzy)
    ]


def candidate_spellings(tracker: Tracker) -> dict[str, list[str]]:
    """A candidate by full name or surname ('Mark Rutte', 'Rutte'); withdrawn ones too: news
    of a withdrawal names them."""
    spellings: dict[str, list[str]] = {}
    for candidate in tracker.candidates:
        names = [candidate.name]
        parts = candidate.name.split()
        if len(parts) > 1 and len(parts[-1]) >= MIN_STEM:
            names.append(parts[-1])
        spellings[candidate.name] = names
    return spellings


def stage_spellings(tracker: Tracker) -> dict[str, list[str]]:
    from bot.members import normalise

    return {
        stage: [stage, *STAGE_WORDS.get(normalise(stage), ())]
        for stage in tracker.stages
        if normalise(stage)
    }


def title_words(title: str) -> list[str]:
    from bot.members import normalise

    seen: list[str] = []
    for word in normalise(title).split():
        if len(word) >= 3 and not word.isdigit() and word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen


def find_cues(words: Sequence[Word]) -> list[Cue]:
    """Plain statements of a stance, sentence by sentence."""
    cues: list[Cue] = []
    for sentence in sorted({w.sentence for w in words}):
        index = [i for i, w in enumerate(words) if w.sentence == sentence]
        cues += _sentence_cues(words, index)
    return cues


def _sentence_cues(words: Sequence[Word], index: list[int]) -> list[Cue]:
    keys = [words[i].key for i in index]
    text = " ".join(keys)
    starts: list[int] = []
    position = 0
    for key in keys:
        starts.append(position)
        position += len(key) + 1
    taken = [False] * len(keys)
    found: list[tuple[int, int, Stance]] = []
    patterns = [
        *((p, Stance.SUPPORT) for p in SUPPORT_PHRASES),
        *((rf"\b(?:{p})\b", Stance.SUPPORT) for p in SUPPORT_WORDS),
        *((rf"\b(?:{p})\b", Stance.OPPOSE) for p in OPPOSE_WORDS),
    ]
    for pattern, stance in patterns:
        for match in re.finditer(pattern, text):
            first = _word_at(starts, match.start())
            last = _word_at(starts, match.end() - 1)
            if any(taken[first : last + 1]):
                continue
            for k in range(first, last + 1):
                taken[k] = True
            found.append((first, last + 1, stance))
    cues = []
    for first, end, stance in sorted(found):
        before = keys[max(0, first - NEGATION_BEFORE) : first]
        after = keys[end : end + NEGATION_AFTER]
        negated = any(k in NEGATIONS for k in before + keys[first:end] + after)
        said_from = first
        if negated:
            said_from = next(
                (first - len(before) + j for j, k in enumerate(before) if k in NEGATIONS), first
            )
        turned: Stance | None = stance
        if negated:
            turned = Stance.OPPOSE if stance is Stance.SUPPORT else None
        follower = keys[end : end + 2]
        if follower and follower[0] in ARTICLES:
            follower = follower[1:]
        passive = bool(follower) and follower[0] in PASSIVE
        cues.append(
            Cue(
                index[first],
                index[end - 1] + 1,
                _said(words, index[said_from], index[end - 1] + 1),
                turned,
                passive,
                words[index[first]].sentence,
            )
        )
    return cues


def _word_at(starts: list[int], offset: int) -> int:
    word = 0
    for i, start in enumerate(starts):
        if start <= offset:
            word = i
    return word


def read_item(
    title: str,
    summary: str,
    tracker: Tracker,
    body: Body,
    day: date,
    keywords: Sequence[str] = (),
) -> ItemReading:
    """What a news item suggests for `tracker`: one suggestion per member it reports on, or
    none with the reason."""
    words = words_of([title, summary])
    eligible = [m for m in body.members if m.is_member_on(day) and m.code != tracker.subject]
    members = find_members(words, eligible)
    about = _about(words, tracker, body, keywords)
    if not members:
        return ItemReading((), f"names no member of {body.in_sentence}")
    if not about:
        return ItemReading((), f"not about {tracker.slug}")
    all_cues = find_cues(words)
    stated = {c.sentence for c in all_cues}
    sentence = next((m.sentence for m in members if m.sentence in stated), members[0].sentence)
    here = [m for m in members if m.sentence == sentence]
    cues = [c for c in all_cues if c.sentence == sentence]
    actors, cue = _actors(words, here, cues)
    stance = _stance(cues) if cue is not None else None
    target = _target(words, tracker, sentence, cue)
    suggestions = []
    chosen: dict[str, MemberFound] = {}
    for found in actors:
        chosen.setdefault(found.member.code, found)
    for found in list(chosen.values())[:MAX_MEMBERS]:
        parts = [f"'{found.said}' -> {found.member.name}"]
        parts += [f"'{t.said}' -> {t.term}" for t in about]
        if target is not None and target.term not in {t.term for t in about}:
            parts.append(f"'{target.said}' -> {target.term}")
        if stance is not None and cues:
            parts.append(f"'{' / '.join(c.said for c in cues)}' -> {stance}")
        else:
            parts.append("stance not said plainly: the moderator picks")
        suggestions.append(
            FeedSuggestion(
                member=found.member.code,
                stance=stance,
                target=target.term if target else None,
                explanation="matched " + "; ".join(_unique(parts)),
            )
        )
    return ItemReading(tuple(suggestions))


def _unique(parts: list[str]) -> list[str]:
    return list(dict.fromkeys(parts))


def _about(
    words: Sequence[Word], tracker: Tracker, body: Body, keywords: Sequence[str]
) -> list[TermFound]:
    """What makes the item about the tracker: a candidate, the subject (an applicant), a
    keyword, or two words of the tracker's title. Empty: it is not about it."""
    strong = find_terms(words, candidate_spellings(tracker), fuzzy=True)
    if tracker.subject:
        subject = next((m for m in body.members if m.code == tracker.subject), None)
        if subject is not None:
            strong += [
                TermFound(f.start, f.end, f.said, f.sentence, f"{subject.name} (subject)")
                for f in find_members(words, [subject])
            ]
    strong += [
        dataclasses.replace(f, term=f"keyword '{f.term}'")
        for f in find_terms(words, {k: [k] for k in keywords if k.strip()})
    ]
    if strong:
        return _first_of_each(strong)
    wanted = title_words(tracker.title)
    hits = _first_of_each(find_terms(words, {w: [w] for w in wanted}))
    if not hits or len(hits) < min(2, len(wanted)):
        return []
    return [dataclasses.replace(f, term=f"title word '{f.term}'") for f in hits]


def _first_of_each(found: list[TermFound]) -> list[TermFound]:
    seen: dict[str, TermFound] = {}
    for item in sorted(found, key=lambda f: f.start):
        seen.setdefault(item.term, item)
    return list(seen.values())


def _actors(
    words: Sequence[Word], here: list[MemberFound], cues: list[Cue]
) -> tuple[list[MemberFound], Cue | None]:
    """The members a stance is about: the nearest member before its cue and those listed with
    it ('Lithuania and Estonia back'), or after a passive cue ('backed by Hungary'). With no
    stance stated, or no member where the cue wants one, every member named (stance left to
    the moderator)."""
    for cue in cues:
        if cue.passive:
            run = _listed(words, [m for m in here if m.start >= cue.end])
        else:
            before = [m for m in here if m.start < cue.start]
            run = list(reversed(_listed(words, list(reversed(before)))))
        if run:
            return run, cue
    return here, None


def _listed(words: Sequence[Word], members: list[MemberFound]) -> list[MemberFound]:
    """The first member and those that follow it in one list ('X, Y and Z'), walking in the
    order given (backwards from a cue, or forwards)."""
    if not members:
        return []
    run = [members[0]]
    for member in members[1:]:
        last = run[-1]
        lo, hi = sorted((last.start, member.start))
        first_end = last.end if last.start == lo else member.end
        gap = [w.key for w in words[first_end:hi]]
        if not all(k in LIST_WORDS for k in gap):
            break
        run.append(member)
    return run


def _stance(cues: list[Cue]) -> Stance | None:
    """The stance the sentence states, if all its cues agree and none is turned around into
    nothing plain."""
    stances = {c.stance for c in cues}
    if len(stances) != 1:
        return None
    return stances.pop()


def _target(
    words: Sequence[Word], tracker: Tracker, sentence: int, cue: Cue | None
) -> TermFound | None:
    """The candidate (selection) or stage (approval) the item names for the position: in the
    deciding sentence, else the only one the item names. Of several stages the latest in the
    tracker's order wins (a signed ratification is a signature); of several candidates, the
    first after the cue, else none."""
    if tracker.kind is TrackerKind.APPROVAL:
        found = find_terms(words, stage_spellings(tracker))
        here = [f for f in found if f.sentence == sentence] or found
        if not here:
            return None
        order = {stage: i for i, stage in enumerate(tracker.stages)}
        return max(here, key=lambda f: order.get(f.term, -1))
    found = find_terms(words, candidate_spellings(tracker), fuzzy=True)
    here = [f for f in found if f.sentence == sentence]
    if len({f.term for f in here}) == 1:
        return here[0]
    if here:
        after = [f for f in here if cue is not None and f.start >= cue.end]
        return after[0] if after else None
    if len({f.term for f in found}) == 1:
        return found[0]
    return None
