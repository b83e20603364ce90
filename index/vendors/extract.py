"""Build time: which vendors the corpus covers, which articles are about them, which passages
name them. The result is a generation's `vendors.json` (`VendorData`).

Three sources, in this order of authority:

1. the alias file `corpus/vendors.yml` (canonical name -> aliases, acronyms, legal forms);
2. article front matter (`vendors: [...]`), authoritative for that article;
3. the article text itself, for plain articles with no `vendors` field: capitalised names
   that recur in the body *and* appear in the title are the article's subject
   ("Kaspersky Lab Faces New Wave Of Allegations..." + 20 body mentions -> Kaspersky), while
   names that only occur in passing (the seed article's "Cisco") are recorded as mentions, so a
   question about them is answered only from passages that actually name them.

`VendorDataBuilder` holds the two tables every step reads and extends: `entities` (entity key
-> `Entity`) and `lookup` (every known surface form -> entity key). Steps run in the order
above; a later step sees the names an earlier one registered.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import NotRequired, TypedDict

from index.articles import Article
from index.vendors.acronyms import law_acronyms
from index.vendors.matcher import NameMatcher
from index.vendors.names import (
    CORPORATE_FORMS,
    NOT_VENDORS,
    QUESTION_WORDS,
    is_place,
    key_of,
    words,
)
from index.vendors.proper import proper_names
from index.vendors.scan import ArticleNames, CorpusNames, scan_corpus

DATA_VERSION = 17  # bump when extraction rules change: the builder then rewrites vendors.json
MAX_SUBJECTS = 3
MIN_SUBJECT_MENTIONS = 2
# A name the headline does not use is still the subject with this many mentions, twice the next.
DOMINANT_MENTIONS = 4


class Entity(TypedDict):
    name: str  # display name, as first seen
    vendor: bool  # a vendor (curated, or an article's subject); else only mentioned
    source: str  # "aliases" | "front matter" | "text" | "mention"
    aliases: list[str]  # the other forms that name it (keys of `lookup`)
    acts: NotRequired[bool]  # mentions only: seen acting like a company ("Cisco has")
    place: NotRequired[bool]  # a country, US state or city (`names.is_place`)


class VendorData(TypedDict):
    """`vendors.json`: what `VendorIndex` loads."""

    version: int
    proper: dict[str, list]  # `proper_names`: word -> [capitalised, uses, display]
    entities: dict[str, Entity]
    lookup: dict[str, str]  # surface form -> entity key
    about: list[list[str]]  # per article: the entity keys it is about
    mentions: dict[str, list[int]]  # entity key -> passage rows that name it
    duplicates: NotRequired[list[list[int]]]  # near-duplicate article groups (the builder's)
    acronyms: NotRequired[dict[str, str]]  # `law_acronyms`: "asda" -> "American Security Drone Act"


def build_vendor_data(
    articles: Sequence[Article],
    rows: Sequence[tuple[int, int, int]],
    aliases: dict[str, list[str]],
) -> VendorData:
    """The `vendors.json` payload for one generation (see module docstring)."""
    builder = VendorDataBuilder()
    builder.add_curated(aliases, articles)
    corpus = scan_corpus(articles)
    about = builder.add_subjects(articles, corpus)
    builder.add_mentioned(corpus)
    builder.mark_places()
    return {
        "version": DATA_VERSION,
        "proper": proper_names(articles),
        "entities": builder.entities,
        "lookup": builder.lookup,
        "about": about,
        "mentions": builder.passage_mentions(articles, rows),
        "acronyms": law_acronyms(articles),
    }


def name_groups(counts: Counter) -> dict[str, Counter]:
    """ "Orbix Payroll" and "Orbix" in one article are one name: mentions grouped by first word."""
    groups: dict[str, Counter] = defaultdict(Counter)
    for key, count in counts.items():
        groups[key.split()[0]][key] += count
    return groups


def dominant_name(groups: dict[str, Counter], agentive: set[str]) -> str | None:
    """A headline that does not name the vendor ("Russian antivirus firm banned"): the first word
    of the one company name that clearly dominates the body, if there is one."""
    totals = sorted(
        ((sum(g.values()), first) for first, g in groups.items() if any(m in agentive for m in g)),
        reverse=True,
    )
    if (
        totals
        and totals[0][0] >= DOMINANT_MENTIONS
        and (len(totals) == 1 or totals[0][0] >= 2 * totals[1][0])
    ):
        return totals[0][1]
    return None


def _display(names: ArticleNames, key: str) -> str:
    """The form the article writes `key` in most often."""
    return names.displays[key].most_common(1)[0][0]


class VendorDataBuilder:
    """The entity and lookup tables, grown source by source (see module docstring)."""

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.lookup: dict[str, str] = {}

    def add_entity(self, name: str, vendor: bool, source: str) -> str:
        """The entity `name` refers to (made if new, promoted to vendor if `vendor`)."""
        key = key_of(name)
        if not key:
            return ""
        entity_key = self.lookup.get(key, key)
        entity = self.entities.setdefault(
            entity_key, {"name": name, "vendor": vendor, "source": source, "aliases": []}
        )
        if vendor and not entity["vendor"]:
            entity.update(vendor=True, source=source)
        self.register(name, entity_key)
        return entity_key

    def register(self, alias: str, entity_key: str) -> None:
        """`alias` names `entity_key`, unless another entity has that form already."""
        for form in {key_of(alias), " ".join(words(alias))}:
            if not form or form in QUESTION_WORDS:
                continue
            aliases = self.entities[entity_key]["aliases"]
            owner = self.lookup.setdefault(form, entity_key)
            if owner == entity_key and form not in aliases and form != entity_key:
                aliases.append(form)

    def resolve(self, key: str) -> str:
        """The vendor a derived name refers to: "Orbix" and "Orbix Payroll" are one vendor."""
        if key in self.lookup:
            return self.lookup[key]
        if is_place(key):  # "Palo Alto" is the city, not short for "Palo Alto Networks"
            return key
        parts = key.split()
        related = {
            entity_key
            for entity_key, entity in self.entities.items()
            if entity["vendor"]
            and entity_key.split()[0] == parts[0]
            and (entity_key.startswith(key + " ") or key.startswith(entity_key + " "))
        }
        return related.pop() if len(related) == 1 else key

    def add_curated(self, aliases: dict[str, list[str]], articles: Sequence[Article]) -> None:
        """Sources 1 and 2: the alias file, then every article's front-matter vendors."""
        for name, alias_list in aliases.items():
            key = self.add_entity(name, True, "aliases")
            for alias in alias_list:
                self.register(alias, key)
        for article in articles:
            for vendor in article.vendors:
                self.add_entity(vendor, True, "front matter")

    def add_subjects(self, articles: Sequence[Article], corpus: CorpusNames) -> list[list[str]]:
        """Per article, the entity keys it is about (registering the names that taught us)."""
        about: list[list[str]] = []
        matcher: NameMatcher | None = None
        for article, names in zip(articles, corpus.per_article, strict=True):
            if matcher is None or matcher.size != len(self.lookup):
                matcher = NameMatcher(self.lookup)
            if article.vendors:
                subjects = [
                    self.lookup[key_of(v)] for v in article.vendors if key_of(v) in self.lookup
                ]
            else:
                subjects = self._text_subjects(article, names, corpus.agentive, matcher)
            about.append(list(dict.fromkeys(self.lookup.get(k, k) for k in subjects)))
            for acronym, key in names.acronyms.items():
                target = self.lookup.get(key)
                if target and acronym not in self.lookup:
                    self.register(acronym.upper(), target)
        return about

    def _text_subjects(
        self, article: Article, names: ArticleNames, agentive: set[str], matcher: NameMatcher
    ) -> list[str]:
        """Source 3: the subjects of an article without front-matter vendors."""
        alias_hits = Counter(matcher.hits(article.text))
        title_hits = set(matcher.hits(article.title))
        groups = name_groups(names.counts)
        scored = self._score_names(article, names, groups, agentive)
        for key, count in alias_hits.items():
            if self.entities[key]["vendor"] and (key in title_hits or count >= 3):
                scored[key] += count
        subjects = [k for k, _ in scored.most_common(MAX_SUBJECTS)]
        for key in subjects:
            if key not in self.entities:
                self._add_text_vendor(key, names, groups)
        return subjects

    def _score_names(
        self,
        article: Article,
        names: ArticleNames,
        groups: dict[str, Counter],
        agentive: set[str],
    ) -> Counter:
        """Mentions of each name that is in the title (or dominates), acts like a company and
        recurs; the fullest form the title uses names the vendor ("Orbix Payroll")."""
        title_words = set(words(article.title))
        dominant = dominant_name(groups, agentive)
        scored: Counter = Counter()
        for first, group in groups.items():
            titled = [m for m in group if all(w in title_words for w in m.split())]
            key = max(titled, key=lambda m: (len(m.split()), group[m]), default="")
            key = key or group.most_common(1)[0][0]
            in_title = bool(titled) or first == dominant
            total = sum(group.values())
            acts = any(member in agentive for member in group)
            if in_title and acts and total >= MIN_SUBJECT_MENTIONS and key not in CORPORATE_FORMS:
                target = self.resolve(key)
                for member in group:
                    if member != target and target in self.entities and member not in self.lookup:
                        self.register(_display(names, member), target)
                scored[target] += total
        return scored

    def _add_text_vendor(self, key: str, names: ArticleNames, groups: dict[str, Counter]) -> None:
        """A subject found in the text becomes a vendor; "Orbix" alone then refers to the
        article's "Orbix Payroll", and vice versa."""
        self.add_entity(_display(names, key), True, "text")
        first = key.split()[0]
        for member in groups.get(first, {}):
            if member not in self.lookup:
                self.register(_display(names, member), self.lookup[key])
        if (
            len(key.split()) > 1
            and first not in NOT_VENDORS
            and len(first) > 2
            and not is_place(first)
        ):
            self.register(first, self.lookup[key])

    def add_mentioned(self, corpus: CorpusNames) -> None:
        """Every name seen in the text becomes at least a "mentioned" entity."""
        for names in corpus.per_article:
            for key, display in ((k, d.most_common(1)[0][0]) for k, d in names.displays.items()):
                if key in self.lookup:
                    continue
                target = self.resolve(key)
                if target != key and target in self.entities:
                    self.register(display, target)
                else:
                    self.add_entity(display, False, "mention")
                    # Does it act like a company anywhere ("Cisco has", "Nokia said")?
                    self.entities[key]["acts"] = key in corpus.agentive

    def mark_places(self) -> None:
        """Names that are places ("Chicago", "Palo Alto") are flagged: the query side never
        reads them as vendors, so they carry no question past the evidence threshold."""
        for key, entity in self.entities.items():
            if is_place(key):
                entity["place"] = True

    def passage_mentions(
        self, articles: Sequence[Article], rows: Sequence[tuple[int, int, int]]
    ) -> dict[str, list[int]]:
        """Entity key -> the passage rows that name it, with the final lookup table."""
        mentions: dict[str, set[int]] = defaultdict(set)
        matcher = NameMatcher(self.lookup)
        for row, (article_idx, start, end) in enumerate(rows):
            for key in matcher.hits(articles[article_idx].text[start:end]):
                mentions[key].add(row)
        return {k: sorted(v) for k, v in mentions.items()}
