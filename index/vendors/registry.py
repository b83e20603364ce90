"""Which vendors the corpus covers, which articles are about them, and which passages name them.

Built once per index generation (`vendors.json`, written by the builder) from three sources:

1. the alias file `corpus/vendors.yml` (canonical name -> aliases, acronyms, legal forms);
2. article front matter (`vendors: [...]`), authoritative for that article;
3. the article text itself, for plain articles with no `vendors` field: capitalised names
   that recur in the body *and* appear in the title are the article's subject
   ("Kaspersky Lab Faces New Wave Of Allegations..." + 20 body mentions -> Kaspersky), while
   names that only occur in passing (the seed article's "Cisco") are recorded as mentions, so a
   question about them is answered only from passages that actually name them.

Everything the query side needs (lookup tables, per-vendor passage rows) is precomputed here or
at load time, so matching a query is a few dictionary lookups plus one rapidfuzz call.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml
from rapidfuzz import fuzz, process

from index.articles import Article
from index.errors import VendorcheckError
from index.vendors.names import _POSSESSIVE, CORPORATE_FORMS, NOT_VENDORS, key_of, words
from index.vendors.proper import NameTerms, proper_names

VENDORS_FILE = "vendors.json"
ALIAS_FILES = ("vendors.yml", "vendors.yaml")
DATA_VERSION = 15  # bump when extraction rules change: the builder then rewrites vendors.json
MAX_SUBJECTS = 3
# rapidfuzz ratio cut-offs for reading a query word as a misspelt vendor name.
FUZZY_LONG, FUZZY_SHORT, FUZZY_KNOWN_WORD = 80, 86, 90
MIN_SUBJECT_MENTIONS = 2
# A name the headline does not use is still the subject with this many mentions, twice the next.
DOMINANT_MENTIONS = 4
# Words that carry the question, not the vendor: never read as (part of) a vendor name.
QUESTION_WORDS = frozenset(
    [
        "is",
        "are",
        "was",
        "were",
        "be",
        "can",
        "could",
        "should",
        "would",
        "will",
        "do",
        "does",
        "did",
        "has",
        "have",
        "had",
        "may",
        "might",
        "must",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "whether",
        "any",
        "all",
        "some",
        "latest",
        "news",
        "status",
        "update",
        "updates",
        "brief",
        "summary",
        "about",
        "vendor",
        "vendors",
        "company",
        "product",
        "products",
        "allowed",
        "allow",
        "ban",
        "banned",
        "bans",
        "banning",
        "block",
        "blocked",
        "prohibited",
        "prohibit",
        "sanction",
        "sanctions",
        "sanctioned",
        "safe",
        "unsafe",
        "risk",
        "risky",
        "approved",
        "approve",
        "use",
        "using",
        "used",
        "buy",
        "buying",
        "trust",
        "trusted",
        "still",
        "ok",
        "okay",
        "issue",
        "issues",
        "problem",
        "problems",
        "concern",
        "concerns",
        "federal",
        "government",
        "agencies",
        "agency",
        "contractor",
        "contractors",
        "list",
        "listed",
        "removed",
        "remove",
        "tell",
        "me",
        "us",
        "show",
        "give",
        "find",
        "anything",
        "something",
        "info",
        "information",
    ]
)


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Verbs that follow a company name in news text ("Quillon said", "Kestrel sold"). A name never
# seen doing anything ("FedRAMP Moderate", "Covered List") is not taken as an article's vendor.
AGENT_VERBS = _wordset(
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
_TOKEN = re.compile(r"[^\W_][\w&'’\-]*")
_ACRONYM_AFTER = re.compile(r"\s*\(([A-Z][A-Z0-9&]{1,7})\)")
_SENTENCE_END = set(".!?:;\n")
_OPENERS = set(" \t\"“‘'([—–-")


class AliasFileError(VendorcheckError):
    pass


# ---------------------------------------------------------------------------------- build time


def read_alias_file(corpus_dir: Path | None) -> dict[str, list[str]]:
    """Canonical vendor name -> aliases, from `corpus/vendors.yml` (absent file: no aliases).

    Accepted shapes: ``Name: [alias, ...]``, ``Name: {aliases: [...]}``, or a list of
    ``{name: ..., aliases: [...]}``.
    """
    if corpus_dir is None:
        return {}
    path = next((corpus_dir / n for n in ALIAS_FILES if (corpus_dir / n).is_file()), None)
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0][:100]
        raise AliasFileError(f"{path} is not valid YAML ({reason})") from None
    entries: list[tuple[object, object]] = []
    if isinstance(data, dict):
        entries = list(data.items())
    elif isinstance(data, list):
        entries = [(d.get("name"), d) for d in data if isinstance(d, dict)]
    else:
        raise AliasFileError(f"{path} must map vendor names to alias lists")
    out: dict[str, list[str]] = {}
    for name, value in entries:
        if not name or not str(name).strip():
            raise AliasFileError(f"{path} has an entry without a vendor name")
        if isinstance(value, dict):
            value = value.get("aliases") or []
        if isinstance(value, str):
            value = [value]
        if value is None:
            value = []
        if not isinstance(value, list):
            raise AliasFileError(f"{path}: aliases of {name!r} must be a list")
        out[str(name).strip()] = [str(v).strip() for v in value if str(v).strip()]
    return out


def alias_file_text(corpus_dir: Path | None) -> str:
    """Raw alias file content (for change detection by the builder)."""
    if corpus_dir is None:
        return ""
    for name in ALIAS_FILES:
        if (corpus_dir / name).is_file():
            return (corpus_dir / name).read_text(encoding="utf-8", errors="replace")
    return ""


@dataclass
class _Occurrence:
    key: str
    display: str
    start: int
    initial: bool
    agentive: bool = False  # "Quillon said", "Zentara's": how companies appear in news text


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


def scan_names(text: str) -> tuple[list[_Occurrence], set[str], dict[str, str]]:
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
    occurrences: list[_Occurrence] = []
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
        occurrences.append(_Occurrence(key, display, start, initial, agentive))
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
class _ArticleNames:
    counts: Counter = field(default_factory=Counter)  # key -> confirmed mentions
    displays: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    offsets: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    acronyms: dict[str, str] = field(default_factory=dict)


def _article_names(
    article: Article,
    scanned: tuple[list[_Occurrence], set[str], dict[str, str]],
    confirmed_anywhere: set[str],
    lower_anywhere: set[str],
) -> _ArticleNames:
    """Names of one article. A sentence-initial capital counts as a name when the same name
    appears mid-sentence somewhere in the corpus, or in this article's title ("Orbix said..."
    under "Orbix Payroll Acquired...")."""
    occurrences, lower, acronyms = scanned
    title_words = set(words(article.title))
    confirmed = {o.key for o in occurrences if not o.initial} | confirmed_anywhere
    confirmed |= {o.key for o in occurrences if all(w in title_words for w in o.key.split())}
    names = _ArticleNames(acronyms=acronyms)
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


_LOOKUP_WORD = re.compile(r"[\w&]+")


class _Matcher:
    """Longest-first matching of known names in text, fast enough for a 100k-passage corpus:
    only positions whose word starts some known name are tried."""

    def __init__(self, lookup: dict[str, str]) -> None:
        self.lookup = lookup
        self.size = len(lookup)  # the lookup grows during a build: rebuild when it has
        self.first_words = {k.split(" ", 1)[0] for k in lookup}
        self.max_n = min(6, max((k.count(" ") + 1 for k in lookup), default=1))

    def hits(self, text: str) -> list[str]:
        """Entity keys of every known name in `text`, in order."""
        # Possessives become spaces: "Quillon's" -> "quillon".
        tokens = [t for t in _LOOKUP_WORD.findall(_POSSESSIVE.sub("  ", text).lower()) if t != "_"]
        first_words, lookup, max_n = self.first_words, self.lookup, self.max_n
        hits: list[str] = []
        i = 0
        while i < len(tokens):
            if tokens[i] not in first_words:
                i += 1
                continue
            for n in range(min(max_n, len(tokens) - i), 0, -1):
                gram = " ".join(tokens[i : i + n]) if n > 1 else tokens[i]
                if gram in lookup:
                    hits.append(lookup[gram])
                    i += n
                    break
            else:
                i += 1
        return hits


def build_vendor_data(
    articles: Sequence[Article],
    rows: Sequence[tuple[int, int, int]],
    aliases: dict[str, list[str]],
) -> dict:
    """The `vendors.json` payload for one generation (see module docstring)."""
    entities: dict[str, dict] = {}
    lookup: dict[str, str] = {}

    def add_entity(name: str, vendor: bool, source: str) -> str:
        key = key_of(name)
        if not key:
            return ""
        entity_key = lookup.get(key, key)
        entity = entities.setdefault(
            entity_key, {"name": name, "vendor": vendor, "source": source, "aliases": []}
        )
        if vendor and not entity["vendor"]:
            entity.update(vendor=True, source=source)
        register(name, entity_key)
        return entity_key

    def register(alias: str, entity_key: str) -> None:
        for form in {key_of(alias), " ".join(words(alias))}:
            if not form or form in QUESTION_WORDS:
                continue
            aliases = entities[entity_key]["aliases"]
            owner = lookup.setdefault(form, entity_key)
            if owner == entity_key and form not in aliases and form != entity_key:
                aliases.append(form)

    for name, alias_list in aliases.items():
        key = add_entity(name, True, "aliases")
        for alias in alias_list:
            register(alias, key)
    for article in articles:
        for vendor in article.vendors:
            add_entity(vendor, True, "front matter")

    def resolve(key: str) -> str:
        """The vendor a derived name refers to: "Orbix" and "Orbix Payroll" are one vendor."""
        if key in lookup:
            return lookup[key]
        parts = key.split()
        related = {
            entity_key
            for entity_key, entity in entities.items()
            if entity["vendor"]
            and entity_key.split()[0] == parts[0]
            and (entity_key.startswith(key + " ") or key.startswith(entity_key + " "))
        }
        return related.pop() if len(related) == 1 else key

    scans = [scan_names(a.text) for a in articles]
    anywhere = {o.key for occurrences, _, _ in scans for o in occurrences if not o.initial}
    agentive = {o.key for occurrences, _, _ in scans for o in occurrences if o.agentive}
    lower_anywhere = set().union(*(lower for _, lower, _ in scans)) if scans else set()
    per_article = [
        _article_names(a, scan, anywhere, lower_anywhere)
        for a, scan in zip(articles, scans, strict=True)
    ]
    about: list[list[str]] = []
    matcher: _Matcher | None = None
    for article, names in zip(articles, per_article, strict=True):
        title_words = set(words(article.title))
        if matcher is None or matcher.size != len(lookup):
            matcher = _Matcher(lookup)
        alias_hits = Counter(matcher.hits(article.text))
        title_hits = set(matcher.hits(article.title))
        if article.vendors:
            subjects = [lookup[key_of(v)] for v in article.vendors if key_of(v) in lookup]
        else:
            scored: Counter = Counter()
            # "Orbix Payroll" and "Orbix" in one article are one name: group by first word.
            groups: dict[str, Counter] = defaultdict(Counter)
            for key, count in names.counts.items():
                groups[key.split()[0]][key] += count
            # A headline that does not name the vendor ("Russian antivirus firm banned"): the
            # one company name that clearly dominates the body is the subject.
            totals = sorted(
                (
                    (sum(g.values()), first)
                    for first, g in groups.items()
                    if any(m in agentive for m in g)
                ),
                reverse=True,
            )
            dominant = (
                totals[0][1]
                if totals
                and totals[0][0] >= DOMINANT_MENTIONS
                and (len(totals) == 1 or totals[0][0] >= 2 * totals[1][0])
                else None
            )
            for first, group in groups.items():
                # The fullest form the title uses names the vendor ("Orbix Payroll").
                titled = [m for m in group if all(w in title_words for w in m.split())]
                key = max(titled, key=lambda m: (len(m.split()), group[m]), default="")
                key = key or group.most_common(1)[0][0]
                in_title = bool(titled) or first == dominant
                total = sum(group.values())
                acts = any(member in agentive for member in group)
                if (
                    in_title
                    and acts
                    and total >= MIN_SUBJECT_MENTIONS
                    and key not in CORPORATE_FORMS
                ):
                    target = resolve(key)
                    for member in group:
                        if member != target and target in entities and member not in lookup:
                            register(names.displays[member].most_common(1)[0][0], target)
                    scored[target] += total
            for key, count in alias_hits.items():
                if entities[key]["vendor"] and (key in title_hits or count >= 3):
                    scored[key] += count
            subjects = [k for k, _ in scored.most_common(MAX_SUBJECTS)]
            for key in subjects:
                if key not in entities:
                    display = names.displays[key].most_common(1)[0][0]
                    add_entity(display, True, "text")
                    # "Orbix" alone refers to the article's "Orbix Payroll", and vice versa.
                    first = key.split()[0]
                    for member in groups.get(first, {}):
                        if member not in lookup:
                            register(names.displays[member].most_common(1)[0][0], lookup[key])
                    if len(key.split()) > 1 and first not in NOT_VENDORS and len(first) > 2:
                        register(first, lookup[key])
        about.append(list(dict.fromkeys(lookup.get(k, k) for k in subjects)))
        for acronym, key in names.acronyms.items():
            target = lookup.get(key)
            if target and acronym not in lookup:
                register(acronym.upper(), target)

    # Every name seen in the text becomes at least a "mentioned" entity.
    for names in per_article:
        for key, display in ((k, d.most_common(1)[0][0]) for k, d in names.displays.items()):
            if key not in lookup:
                target = resolve(key)
                if target != key and target in entities:
                    register(display, target)
                else:
                    add_entity(display, False, "mention")
                    # Does it act like a company anywhere ("Cisco has", "Nokia said")?
                    entities[key]["acts"] = key in agentive

    mentions: dict[str, set[int]] = defaultdict(set)
    final = _Matcher(lookup)
    for row, (article_idx, start, end) in enumerate(rows):
        for key in final.hits(articles[article_idx].text[start:end]):
            mentions[key].add(row)
    return {
        "version": DATA_VERSION,
        "proper": proper_names(articles),
        "entities": entities,
        "lookup": lookup,
        "about": about,
        "mentions": {k: sorted(v) for k, v in mentions.items()},
    }


# ----------------------------------------------------------------------------------- query time


@dataclass
class VendorMatch:
    """What a query says about vendors."""

    covered: list[str] = field(default_factory=list)  # entity keys with articles about them
    passing: list[str] = field(default_factory=list)  # named in the corpus, no article about them
    fuzzy: dict[str, str] = field(default_factory=dict)  # query word -> entity key (misspelling)
    matched_words: set[int] = field(default_factory=set)  # indexes into `tokens`
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (original, lower) words
    spans: dict[str, list[int]] = field(default_factory=dict)  # entity key -> its token indexes


class VendorIndex:
    """Vendor lookups for one loaded generation."""

    def __init__(self, data: dict, passages: np.ndarray, articles: Sequence[Article]) -> None:
        self.entities: dict[str, dict] = data.get("entities", {})
        self.lookup: dict[str, str] = data.get("lookup", {})
        self.about: list[list[str]] = data.get("about", [[] for _ in articles])
        self.mentions: dict[str, np.ndarray] = {
            k: np.asarray(v, dtype=np.int64) for k, v in data.get("mentions", {}).items()
        }
        self.articles = articles
        self.names = NameTerms(data.get("proper", {}))
        self.about_articles: dict[str, list[int]] = defaultdict(list)
        for idx, keys in enumerate(self.about):
            for key in keys:
                self.about_articles[key].append(idx)
        article_col = passages[:, 0] if len(passages) else np.zeros(0, dtype=np.int32)
        self._first = np.searchsorted(article_col, np.arange(len(articles) + 1))
        # Fuzzy matching only against vendors the corpus actually covers, spelt 4+ letters.
        self._fuzzy_forms = sorted(
            {f for f, k in self.lookup.items() if k in self.about_articles and len(f) >= 4}
        )

    @classmethod
    def build_in_memory(
        cls,
        articles: Sequence[Article],
        passages: np.ndarray,
        aliases: dict[str, list[str]] | None = None,
    ) -> VendorIndex:
        rows = [tuple(int(x) for x in r) for r in passages]
        return cls(build_vendor_data(articles, rows, aliases or {}), passages, articles)

    def name(self, key: str) -> str:
        return self.entities.get(key, {}).get("name", key)

    def is_vendorish(self, key: str) -> bool:
        """A known vendor, or a name the corpus shows acting like a company."""
        entity = self.entities.get(key, {})
        return bool(entity.get("vendor") or entity.get("acts"))

    def is_curated(self, key: str) -> bool:
        """Named by a person (alias file, front matter), not guessed from the text."""
        return self.entities.get(key, {}).get("source") in ("aliases", "front matter")

    def is_covered(self, key: str) -> bool:
        return key in self.about_articles

    def covered(self) -> list[str]:
        return sorted(self.about_articles, key=lambda k: -len(self.about_articles[k]))

    def article_rows(self, article_idx: int) -> np.ndarray:
        return np.arange(self._first[article_idx], self._first[article_idx + 1])

    def about_rows(self, key: str) -> np.ndarray:
        parts = [self.article_rows(a) for a in self.about_articles.get(key, [])]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def mention_rows(self, key: str) -> np.ndarray:
        return self.mentions.get(key, np.zeros(0, dtype=np.int64))

    def match(self, query: str, known_word: callable = lambda w: False) -> VendorMatch:  # type: ignore[valid-type]
        """Find vendor names in `query`: exact aliases (longest first), then misspellings.

        `known_word(w)` says whether a word occurs in the corpus vocabulary; only unknown words
        are tried as misspellings, so "router" is never read as a vendor spelt wrong.
        """
        originals = [m.group() for m in _TOKEN.finditer(query)]
        tokens = [(o, (words(o) or [""])[0]) for o in originals]
        found = VendorMatch(tokens=tokens)
        keys: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(5, len(tokens) - i), 0, -1):
                gram = " ".join(w for _, w in tokens[i : i + n])
                key = self.lookup.get(gram)
                if key is None and n == 1 and gram in CORPORATE_FORMS:
                    continue
                if key is not None and gram not in QUESTION_WORDS:
                    keys.append(key)
                    found.matched_words.update(range(i, i + n))
                    found.spans.setdefault(key, []).extend(range(i, i + n))
                    i += n
                    break
            else:
                i += 1
        if self._fuzzy_forms:
            for i, (original, lower) in enumerate(tokens):
                if i in found.matched_words or len(lower) < 4 or not lower.isalpha():
                    continue
                if lower in QUESTION_WORDS or lower in NOT_VENDORS:
                    continue
                # A word the corpus knows may still be a near-spelling of a vendor ("norvell"
                # stems to "norvel"): only very close matches for those.
                if known_word(lower):
                    cutoff = FUZZY_KNOWN_WORD
                else:
                    cutoff = FUZZY_LONG if len(lower) >= 6 else FUZZY_SHORT
                best = process.extractOne(
                    lower, self._fuzzy_forms, scorer=fuzz.ratio, score_cutoff=cutoff
                )
                if best is not None:
                    key = self.lookup[best[0]]
                    keys.append(key)
                    found.fuzzy[original] = key
                    found.matched_words.add(i)
                    found.spans.setdefault(key, []).append(i)
        for key in dict.fromkeys(keys):
            (found.covered if self.is_covered(key) else found.passing).append(key)
        return found

    def closest(self, name: str, limit: int = 3) -> list[str]:
        """Display names of the covered vendors whose names look most like `name`."""
        covered = self.covered()
        if not covered:
            return []
        choices = {k: self.name(k).lower() for k in covered}
        ranked = process.extract(name.lower(), choices, scorer=fuzz.WRatio, limit=len(choices))
        # Similar names first; when nothing is similar, the best-covered vendors.
        similar = [k for _, score, k in ranked if score >= 60]
        rest = [k for k in covered if k not in similar]
        return [self.name(k) for k in (similar + rest)[:limit]]
