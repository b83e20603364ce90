"""Build time: the capitalised names in article text, and which of them are names at all.

`scan_corpus(articles)` reads every article once: the name runs of each ("AO Kaspersky Lab"),
whether a name acts like a company ("Quillon said", "Zentara's"), the acronyms it defines
("Federal Acquisition Service (FAS)"), and which words the corpus also writes lower-case (so
"Payroll" in "Orbix Payroll disclosed" is a common word, not a name).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.articles import Article
from index.vendors.names import CORPORATE_FORMS, NOT_VENDORS, key_of, word_set, words

# Verbs that follow a company name in news text ("Quillon said", "Kestrel sold"). A name never
# seen doing anything ("FedRAMP Moderate", "Covered List") is not taken as an article's vendor.
AGENT_VERBS = word_set(
    """
    said says say told denied denies disputed rejected confirmed confirms declined stated
    announced announces disclosed discloses released releases launched sells sold sell makes made
    build builds built offers offered agreed agrees expects expected plans planned hired acquired
    appealed appeals sued filed settled admitted warned responded called claimed argued pleaded
    did does has had is was will would must may can could might
    """
)
_NEXT_WORD = re.compile(r"\s+(?:\w+ly\s+)?([A-Za-z]+)")
_POSSESSIVE_AFTER = re.compile(r"['’]s\b")
_ACRONYM_AFTER = re.compile(r"\s*\(([A-Z][A-Z0-9&]{1,7})\)")
_SENTENCE_END = set(".!?:;\n")
_OPENERS = set(" \t\"“‘'([—–-")


@dataclass
class Occurrence:
    key: str
    display: str
    start: int
    initial: bool
    agentive: bool = False  # "Quillon said", "Zentara's": how companies appear in news text


# What `scan_names` finds in one text: name occurrences, lower-case words, acronym -> name key.
Scan = tuple[list[Occurrence], set[str], dict[str, str]]


def _is_initial(text: str, start: int) -> bool:
    j = start - 1
    while j >= 0 and text[j] in _OPENERS:
        j -= 1
    return j < 0 or text[j] in _SENTENCE_END


_UPPER, _LOWERC = "A-ZÀ-ÖØ-Þ", "a-zß-öø-ÿ"
_CAP_WORD = rf"(?:[{_UPPER}]|[{_LOWERC}]+[{_UPPER}])[\w&'’\-]*"  # "Kaspersky", "eBay"
_CAP_TOKEN = re.compile(_CAP_WORD)
_RUN = re.compile(rf"(?<![\w&'’\-]){_CAP_WORD}(?:(?: | & ){_CAP_WORD})*")
_LOWER_WORD = re.compile(rf"(?<![\w&'’\-])[{_LOWERC}][\w&'’\-]*")
_LEADING_FILLER = frozenset({"the", "a", "an", "in", "on", "at", "for"})


def scan_names(text: str) -> Scan:
    """Capitalised name runs in `text`, the set of words seen lower-case, and acronym aliases.

    A run is consecutive capitalised words separated by single spaces ("AO Kaspersky Lab").
    Sentence-initial words are marked: their capital may be grammar, not a name. Regexes find
    the runs and the lower-case words, so a long corpus is scanned at C speed.
    """
    lower: set[str] = set()
    for word in set(_LOWER_WORD.findall(text)):
        if word.isalnum():
            lower.add(word.lower())
        else:
            lower.update(words(word))
    occurrences: list[Occurrence] = []
    acronyms: dict[str, str] = {}

    def record(parts: list[tuple[int, int]], initial: bool) -> None:
        start, end = parts[0][0], parts[-1][1]
        display = re.sub(r"['’]s$", "", text[start:end])
        key = key_of(display)
        if len(key) < 2 or all(w in NOT_VENDORS or w in CORPORATE_FORMS for w in key.split()):
            return
        following = text[end : end + 40]
        agentive = bool(_POSSESSIVE_AFTER.match(following)) or (
            (m := _NEXT_WORD.match(following)) is not None and m.group(1).lower() in AGENT_VERBS
        )
        occurrences.append(Occurrence(key, display, start, initial, agentive))
        after = _ACRONYM_AFTER.match(text, end)
        if after and len(key.split()) > 1:
            acronyms[after.group(1).lower()] = key

    for run in _RUN.finditer(text):
        base = run.start()
        parts = [(base + m.start(), base + m.end()) for m in _CAP_TOKEN.finditer(run.group())]
        initial = _is_initial(text, parts[0][0])
        # Drop leading function words and titles ("The", "FCC Chairman Ajit Pai" -> "Ajit Pai").
        while (
            parts
            and (w := words(text[parts[0][0] : parts[0][1]])[:1])
            and (w[0] in _LEADING_FILLER or (w[0] in NOT_VENDORS and len(parts) > 1))
        ):
            parts.pop(0)
            initial = False
        if parts:
            record(parts, initial)
            if initial and len(parts) > 1:
                # "Rival Tessaly also makes drones": the capital of "Rival" may be grammar, so
                # the rest of the run is a name candidate of its own.
                record(parts[1:], False)
    return occurrences, lower, acronyms


@dataclass
class ArticleNames:
    counts: Counter = field(default_factory=Counter)  # key -> confirmed mentions
    displays: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    offsets: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    acronyms: dict[str, str] = field(default_factory=dict)


def article_names(
    article: Article,
    scanned: Scan,
    confirmed_anywhere: set[str],
    lower_anywhere: set[str],
) -> ArticleNames:
    """Names of one article. A sentence-initial capital counts as a name when the same name
    appears mid-sentence somewhere in the corpus, or in this article's title ("Orbix said..."
    under "Orbix Payroll Acquired...")."""
    occurrences, lower, acronyms = scanned
    title_words = set(words(article.title))
    confirmed = {o.key for o in occurrences if not o.initial} | confirmed_anywhere
    confirmed |= {o.key for o in occurrences if all(w in title_words for w in o.key.split())}
    names = ArticleNames(acronyms=acronyms)
    for o in occurrences:
        key_words = o.key.split()
        # A word the corpus also writes in lower case is a common word, not a name
        # ("Payroll" in "Orbix Payroll disclosed", "Agencies must report").
        if len(key_words) == 1 and (key_words[0] in lower or key_words[0] in lower_anywhere):
            continue
        if o.initial and o.key not in confirmed:
            continue
        names.counts[o.key] += 1
        names.displays[o.key][o.display] += 1
        names.offsets[o.key].append(o.start)
    return names


@dataclass
class CorpusNames:
    """The names of every article (in corpus order), and the names seen acting like companies."""

    per_article: list[ArticleNames]
    agentive: set[str]


def scan_corpus(articles: Sequence[Article]) -> CorpusNames:
    scans = [scan_names(a.text) for a in articles]
    anywhere = {o.key for occurrences, _, _ in scans for o in occurrences if not o.initial}
    agentive = {o.key for occurrences, _, _ in scans for o in occurrences if o.agentive}
    lower_anywhere = set().union(*(lower for _, lower, _ in scans)) if scans else set()
    per_article = [
        article_names(a, scan, anywhere, lower_anywhere)
        for a, scan in zip(articles, scans, strict=True)
    ]
    return CorpusNames(per_article, agentive)
