"""The vendors a message names, for the bot's "Check vendors" message shortcut: each name
with whether the corpus covers it and its official-list status; and the corpus article a
posted link is, for the bot's link unfurls.

Read-only, and only what the engine already does: the planner's reading of a question (the
corpus's vendors by their aliases, the proper names the corpus writes, the names it has never
seen) and the lists' screening (`ListStatusProvider`). A message longer than one question is
read sentence by sentence.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from index.articles import Article
from index.search.plan import MAX_QUERY_CHARS, Planner, clean_query
from index.text.chunking import sentences

if TYPE_CHECKING:
    from index.lists.answers import ListStatusProvider

MAX_MESSAGE_CHARS = 4000  # a message shortcut reads at most this much of a message
MAX_NAMES = 20
Naming = Callable[[list[str]], int]  # a name's (lower-case) words -> corpus articles naming it


@dataclass
class NameCheck:
    name: str
    articles: int = 0  # corpus articles about it (`about`), else corpus articles naming it
    about: bool = False  # the corpus has articles about it as a vendor
    status: dict[str, Any] | None = None  # index.lists VendorStatus.to_json(), if screened

    @property
    def in_corpus(self) -> bool:
        return self.articles > 0


def pieces(text: str, size: int = MAX_QUERY_CHARS) -> list[str]:
    """`text` (cut at MAX_MESSAGE_CHARS) as its lines' sentences, each cut to at most `size`
    characters between words: a name never runs on into the next sentence or line."""
    out: list[str] = []
    for line in text[:MAX_MESSAGE_CHARS].splitlines():
        for span in sentences(line):
            rest, _ = clean_query(line[span.start : span.end], MAX_MESSAGE_CHARS)
            while rest:
                cut = rest if len(rest) <= size else rest[:size].rsplit(" ", 1)[0] or rest[:size]
                out.append(cut)
                rest = rest[len(cut) :].lstrip()
    return out


# A company's name ends at its legal form: in "Acme Widgets Inc. Finance approved ..." the
# capitalised word after "Inc." starts the next sentence (the sentence splitter keeps "Inc."
# inside one), so it is not part of the name.
LEGAL_FORMS = frozenset(
    [
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "corp",
        "corporation",
        "co",
        "plc",
        "gmbh",
        "ag",
        "sa",
        "bv",
        "nv",
        "pte",
        "pty",
    ]
)


def _ends_at_legal_form(name: str) -> str:
    words = name.split()
    for i, word in enumerate(words):
        if word.lower().strip(".,") in LEGAL_FORMS and i > 0:
            end = i + 1
            while end < len(words) and words[end].lower().strip(".,") in LEGAL_FORMS:
                end += 1
            return " ".join(words[:end])
    return name


def _found(planner: Planner, text: str, naming: Naming) -> dict[str, NameCheck]:
    vendors = planner.vendors
    found: dict[str, NameCheck] = {}

    def add(name: str, words: list[str], key: str | None = None) -> None:
        about = len(vendors.about_articles.get(key, [])) if key else 0
        check = NameCheck(name, about, True) if about else NameCheck(name, naming(words))
        found.setdefault(name.lower(), check)

    for piece in pieces(text):
        plan = planner.plan(piece)
        for key in plan.vendors:
            add(vendors.name(key), vendors.name(key).lower().split(), key)
        # Names the corpus writes: by the entity they are an alias of ("Hikvision cameras" ->
        # Hikvision), else as written.
        for words, display in zip(plan.names, plan.displays, strict=True):
            key = vendors.lookup.get(" ".join(words))
            if key is not None:
                add(vendors.name(key), words, key)
            elif planner.distinctive(words):
                add(display, words)
        for name in plan.missing if plan.name_like else []:
            name = _ends_at_legal_form(name)
            found.setdefault(name.lower(), NameCheck(name))
    return found


def names_in(
    planner: Planner, lists: ListStatusProvider | None, text: str, naming: Naming
) -> list[NameCheck]:
    """The vendor-like names `text` uses (the corpus's vendors first), each once, with corpus
    coverage (`naming` counts the articles naming a name that no article is about) and list
    status (every name gets one when the list data is readable)."""
    found = list(_found(planner, text, naming).values())[:MAX_NAMES]
    if found and lists is not None:
        names = [n.name for n in found]
        statuses = {s["vendor"].lower(): s for s in lists.for_names(names, names)}
        for check in found:
            check.status = statuses.get(check.name.lower())
    return found


@dataclass
class LinkedArticle:
    """The corpus article a URL is (for the bot's link unfurl)."""

    title: str
    url: str
    publisher: str
    published: str  # ISO date or ""
    vendors: list[str]  # display names of the vendors it is about


_URLS: WeakKeyDictionary[Planner, dict[str, int]] = WeakKeyDictionary()  # per generation
_URLS_LOCK = threading.Lock()


def _url_table(planner: Planner, articles: Sequence[Article]) -> dict[str, int]:
    """Normalised URL -> article index, built once per loaded generation (its planner)."""
    from index.text.urls import normalize_url  # courlan: not loaded for questions

    with _URLS_LOCK:
        table = _URLS.get(planner)
        if table is None:
            table = {normalize_url(a.url): i for i, a in enumerate(articles) if a.url}
            _URLS[planner] = table
        return table


def article_at(planner: Planner, articles: Sequence[Article], url: str) -> LinkedArticle | None:
    """The article of the corpus whose URL is `url` (tracking parameters, default ports and
    case of the host aside), or None."""
    from index.text.urls import normalize_url

    idx = _url_table(planner, articles).get(normalize_url(url))
    if idx is None:
        return None
    article, vendors = articles[idx], planner.vendors
    names = [vendors.name(k) for k in vendors.about[idx]] if idx < len(vendors.about) else []
    return LinkedArticle(
        article.title, article.url, article.publisher, article.published_iso, names
    )
