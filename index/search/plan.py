"""Query understanding: what a question asks, before any passage is scored.

`Planner.plan(raw)` returns a typed `QueryPlan`: the cleaned text, the vendors it names that the
corpus knows (`vendors`), the names it uses that the corpus has never seen (`missing`: each
gets its own "nothing in the corpus about X", even beside a covered vendor), and whether it is
a bare vendor name ("kaspersky", "latest on Huawei"), which asks for a brief.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from index.search.legal import bridged, capitalised_word, legal_names, typed_companies
from index.search.query_words import (
    ASKING_WORDS,
    BRIEF_FILLER,
    MAX_QUERY_CHARS,
    STOP_WORDS,
    USAGE,
    acronym_or_compound,
    clean_query,
)
from index.search.unknown import derived, grow_phrases
from index.text.identifiers import is_identifier
from index.vendors.acronyms import read_acronyms
from index.vendors.names import CORPORATE_FORMS, NOT_VENDORS, QUESTION_WORDS
from index.vendors.registry import VendorIndex, VendorMatch

if TYPE_CHECKING:
    from index.search.filters import RowFilter

__all__ = ["ASKING_WORDS", "BRIEF_FILLER", "MAX_QUERY_CHARS", "STOP_WORDS", "USAGE", "clean_query"]


@dataclass
class QueryPlan:
    text: str
    notes: list[str] = field(default_factory=list)
    keywords: str = ""  # the question without its asking words: what BM25 is given
    vendors: list[str] = field(default_factory=list)  # curated entity keys the corpus names
    names: list[list[str]] = field(default_factory=list)  # proper-name phrases, lower-case words
    displays: list[str] = field(default_factory=list)  # how the corpus writes those phrases
    missing: list[str] = field(default_factory=list)  # names the corpus has never seen
    # An unknown name written right after a known one ("DJI Mavic 3", "Kaspersky Endpoint
    # Security"): a product or unit of it -> the known name's display.
    products: dict[str, str] = field(default_factory=dict)
    identifiers: list[str] = field(default_factory=list)  # "21-03", "52.204-25" in the corpus
    # Everyday words typed as a company's name ("Positive Technologies"): (words, as typed).
    typed: list[tuple[list[str], str]] = field(default_factory=list)
    # "Signal" of "is Signal allowed?", and the words beside it (`legal.capitalised_word`)
    capitalised: list[list[str]] = field(default_factory=list)
    vendorlike: bool = False  # names a vendor (curated, or a distinctive name that is no place)
    bare: bool = False  # only vendor names and filler: a brief
    in_passing: bool = False  # set by the retriever: the corpus only mentions the name
    name_like: bool = False  # the unknown words read as a name (else: off-topic words)
    where: RowFilter | None = None  # set by the retriever: the search filters, if any

    @property
    def empty(self) -> bool:
        return not self.text

    @property
    def named(self) -> bool:
        """The question names something the corpus has: a vendor, or a proper name."""
        return bool(self.vendors or self.names)


class Planner:
    """Reads questions against one loaded index's vendors and vocabulary."""

    def __init__(
        self,
        vendors: VendorIndex,
        known_word: Callable[[str], bool],
        word_pieces: Callable[[str], int],
        together: Callable[[list[str]], bool] = lambda words: True,
    ) -> None:
        self.vendors = vendors
        self.known_word = known_word
        self.word_pieces = word_pieces
        self.together = together

    def plan(self, raw: str) -> QueryPlan:
        text, notes = clean_query(raw)
        text = read_acronyms(text, self.vendors.acronyms, self.known_word, notes)
        plan = QueryPlan(text=text, notes=notes)
        if not text:
            return plan
        kept = [w for w in text.split() if w.lower().strip("?!.,;:'\"") not in ASKING_WORDS]
        plan.keywords = " ".join(kept) or text
        match = self.vendors.match(text, self.known_word)
        # Curated vendors (alias file, front matter) by their aliases and legal forms; every
        # other name by the corpus's own capitalisation (`index.vendors.proper`).
        curated = [k for k in match.covered + match.passing if self.vendors.is_curated(k)]
        taken = {i for k in curated for i in match.spans.get(k, [])}
        for word, key in match.fuzzy.items():
            if key in curated:
                notes.append(f"Read {word!r} as {self.vendors.name(key)}.")
        plan.vendors = [k for k in curated if self._named(k)]
        names = self._name_words(match, taken, notes)
        # Unknown words are looked for among the rest; a name grows over the capitalised words
        # after it, known names included: in "Axis Communications" the unknown "Axis" makes the
        # whole phrase one unknown name, not a question about "Communications".
        rest = VendorMatch(tokens=match.tokens, matched_words=taken)
        content = [c for c in self._content_words(rest) if c[0] not in names]
        plan.missing, plan.name_like, flagged = self._unknown_words(rest, content, bool(names))
        names = {i: w for i, w in names.items() if i not in flagged}
        bridged(match, names, self.together, taken)  # "Dawning Information Industry": one name
        legal = legal_names(match, names, self._company, self.vendors.names.uses)
        plan.names, plan.displays = self._phrases_of(match, names)
        plan.products = self._products(match, names, flagged, plan)
        skip = taken | flagged | set(names) | legal
        plan.typed = typed_companies(match, skip)
        plan.vendorlike = bool(plan.vendors) or any(
            self.companylike(n) and not self.vendors.is_place(" ".join(n)) for n in plan.names
        )
        plan.identifiers = [
            o for o, lo in match.tokens if is_identifier(o) and self.known_word(lo.split("-")[0])
        ]
        if not (plan.vendors or names or plan.missing or plan.identifiers):
            plan.capitalised = capitalised_word(match, skip)
        content = [c for c in self._content_words(rest) if c[0] not in names and c[0] not in legal]
        # One vendor or name with only filler around it asks for its brief; two ("kaspersky
        # fsb") ask how they relate, which is a question.
        # A place or an everyday name ("Chicago", "Commerce") asks for no brief: its question
        # is ranked and meets the evidence threshold like any other.
        single = len(plan.vendors) + len(plan.names) == 1
        plan.bare = single and plan.vendorlike and all(lo in BRIEF_FILLER for _, _, lo in content)
        # An alias-file vendor that no passage names is as unknown as a name never seen.
        for key in curated:
            if key not in plan.vendors:
                plan.missing.append(self.vendors.name(key))
                plan.name_like = True
        return plan

    def _products(
        self, match: VendorMatch, names: dict[int, str], flagged: set[int], plan: QueryPlan
    ) -> dict[str, str]:
        """Unknown phrase -> the company name it is written right after ("DJI" for "DJI
        Mavic"): the question is about that company's product or unit."""
        products: dict[str, str] = {}
        starts = [i for i in sorted(flagged) if i - 1 not in flagged]
        for start, phrase in zip(starts, plan.missing, strict=False):
            before = start - 1
            for key in plan.vendors:  # a curated vendor: "Kaspersky Endpoint Security"
                if before in match.spans.get(key, []):
                    products[phrase] = self.vendors.name(key)
            if before not in names:
                continue
            for words, display in zip(plan.names, plan.displays, strict=True):
                company = self.companylike(words) and not self.vendors.is_place(" ".join(words))
                if words[-1] == names[before] and company:
                    products[phrase] = display
        return products

    def _name_words(self, match: VendorMatch, taken: set[int], notes: list[str]) -> dict[int, str]:
        """Token index -> proper name (lower-case) for the question's words the corpus writes
        as names; an unknown word close to one is read as it, with a note."""
        names = self.vendors.names
        found: dict[int, str] = {}
        skip = STOP_WORDS | CORPORATE_FORMS | QUESTION_WORDS | BRIEF_FILLER | NOT_VENDORS
        self._joined_names(match, taken, found, notes)
        for i, (original, lower) in enumerate(match.tokens):
            if i in taken or i in found or lower in skip or not lower or is_identifier(original):
                continue
            if names.is_name(lower) and self._reads_as_name(i, original, lower):
                found[i] = lower
            elif (
                not self.known_word(lower)
                and self.word_pieces(lower) > 1  # "shoes" is a word, not a name spelt wrong
                and (near := self._misspelt(lower))
            ):
                found[i] = near
                notes.append(f"Read {original!r} as {names.display(near)}.")
        # A longer name the corpus writes around one of these ("Orbix Payroll") is one name:
        # its other words join it even where they are everyday words on their own.
        for key, span in match.spans.items():
            if any(i in found for i in span) and not self.vendors.is_curated(key):
                for i in span:
                    if i not in taken and match.tokens[i][1] not in skip:
                        found.setdefault(i, match.tokens[i][1])
        return found

    def _new_compound(self, word: str) -> bool:
        """A hyphenated name of words the corpus lacks ("tp-link"): a name, as a capitalised
        unknown word is. Not when a part is a name the corpus writes or a law's initials
        ("NS-CMIC", "ASDA-covered", "Huawei-made"), nor when every part is a word it knows."""
        parts = [p for p in re.split(r"[-/]", word) if p]
        if len(parts) < 2 or not all(p.isalpha() for p in parts):
            return False
        names, laws = self.vendors.names, self.vendors.acronyms
        if any(names.is_name(p) or p in laws for p in parts) or names.unhyphenated(word):
            return False
        return not all(self.known_word(p) for p in parts)

    def _company(self, word: str) -> bool:
        return self.companylike([word]) and not self.vendors.is_place(word)

    def _misspelt(self, word: str) -> str | None:
        """The name an unknown word stands for: a hyphenated one typed without its hyphen
        ("dlink": D-Link), or one it is a misspelling of (`_meant`)."""
        names = self.vendors.names
        if (joined := names.unhyphenated(word)) and (
            joined.replace("-", "") == word or self._meant(joined)
        ):
            return joined
        near = names.closest(word)
        return near if near and self._meant(near) else None

    def _meant(self, name: str) -> bool:
        """A misspelling is read as a name that reads as a company's and that the corpus
        writes more than once ("hikvison": Hikvision), not as a lookalike person or place met
        once ("Yealink" is not the attorney Yelin of a court opinion, "Unitree" not "United")."""
        return self.vendors.names.uses(name) > 1 and self._company(name)

    def _joined_names(
        self, match: VendorMatch, taken: set[int], found: dict[int, str], notes: list[str]
    ) -> None:
        """Two words that are one name written apart ("tik tok" for TikTok): read as the name,
        the second word taken with it (it is neither a name nor unknown on its own). Words the
        corpus writes apart, as in "entity list", stay apart."""
        names, tokens = self.vendors.names, match.tokens
        for i in range(len(tokens) - 1):
            if i in taken or i + 1 in taken or i in found:
                continue
            (first, one), (second, two) = tokens[i], tokens[i + 1]
            joined = one + two
            if not names.is_name(joined) and not (self.known_word(one) or self.known_word(two)):
                joined = names.closest_split(one, two) or joined  # each word misspelt
                if names.is_name(joined) and not self._meant(joined):
                    continue
            if len(joined) < 4 or names.is_name(one) or not names.is_name(joined):
                continue
            if not self.together([one, two]):  # "entity list" is two words, not "EntityList"
                found[i] = joined
                taken.add(i + 1)
                notes.append(f"Read '{first} {second}' as {names.display(joined)}.")

    def distinctive(self, words: list[str]) -> bool:
        """A name that reads as a company's ("Kaspersky", "TikTok", "Hikvision"), not an
        agency's or a country's ("GSA", "US", "Commerce"): 4+ letters, several word pieces."""
        return any(len(w) >= 4 and self.word_pieces(w) > 1 for w in words)

    def companylike(self, words: list[str]) -> bool:
        """`distinctive`, or a company's short name in capitals that the corpus shows as a
        company ("ZTE" of "ZTE Corporation", "DJI" as an article's subject); an agency's
        ("GSA", "FCC") the corpus never does."""
        if self.distinctive(words):
            return True
        if len(words) != 1 or not 2 <= len(words[0]) <= 5:
            return False
        written = self.vendors.names.display(words[0])
        return written.isupper() and self.vendors.is_company(words[0])

    def _named(self, key: str) -> bool:
        """Some passage names this curated vendor (else it is as unknown as a new name)."""
        return len(self.vendors.mention_rows(key)) > 0 or self.vendors.is_covered(key)

    def _reads_as_name(self, i: int, original: str, lower: str) -> bool:
        """A word the corpus writes as a name is one in the question too, unless it is also an
        everyday word typed as one: "office", "commerce" and "act" are single word pieces of
        the model's vocabulary, "kaspersky", "zte" and "hikvision" are not. Capitalised after
        the first word ("... Office of ...") it is a name again."""
        if self.word_pieces(lower) > 1:
            return True
        return i > 0 and original[:1].isupper()

    def _phrases_of(
        self, match: VendorMatch, names: dict[int, str]
    ) -> tuple[list[list[str]], list[str]]:
        """Adjacent name words form one name ("China Telecom Americas") where some passage
        names them together; "Kaspersky AV" is two names when no passage has both (the "AV" of
        a CVSS vector must not stand in for Kaspersky)."""
        phrases: list[list[int]] = []
        for i in sorted(names):
            joined = [names[j] for j in phrases[-1]] + [names[i]] if phrases else []
            if phrases and phrases[-1][-1] == i - 1 and self.together(joined):
                phrases[-1].append(i)
            else:
                phrases.append([i])
        words = [[names[i] for i in p] for p in phrases]
        known = self.vendors.names
        displays = [  # a word bridging two names ("Information") as the question writes it
            " ".join(
                known.display(names[i]) if known.is_name(names[i]) else match.tokens[i][0]
                for i in p
            )
            for p in phrases
        ]
        return words, displays

    @staticmethod
    def _content_words(match: VendorMatch) -> list[tuple[int, str, str]]:
        """Query words left once vendor names, legal forms and filler are set aside."""
        skip = STOP_WORDS | CORPORATE_FORMS
        return [
            (i, original, lower)
            for i, (original, lower) in enumerate(match.tokens)
            if i not in match.matched_words and lower not in skip and lower
        ]

    def _unknown_words(
        self, match: VendorMatch, content: list[tuple[int, str, str]], names_known: bool = False
    ) -> tuple[list[str], bool, set[int]]:
        """Query words the corpus has never seen, and whether they look like a name.

        A word the corpus vocabulary lacks is flagged when it is capitalised (not merely as the
        first word), or when the query is just a few words ("acme", "is acme banned"). Flagged
        capitalised words, or a bare query of rare words, read as a vendor name; otherwise the
        question is simply off-topic. Adjacent capitalised words join a name ("Acme Widgets").
        """
        words = [(i, o, lo) for i, o, lo in content if lo not in QUESTION_WORDS]
        short = len(words) <= 3 and not match.matched_words and not names_known
        flagged: set[int] = set()
        capitals: set[int] = set()
        name_like = False
        for i, original, lower in words:
            if any(c.isdigit() for c in lower) or lower in NOT_VENDORS or self.known_word(lower):
                continue
            new = self._new_compound(lower)
            if acronym_or_compound(original, self.known_word) and not new:
                continue
            rare = self.word_pieces(lower) > 1
            if not original[:1].isupper() and derived(lower, self.known_word):
                continue  # "subcontractors" of a corpus writing "subcontracts"
            # The query's first word is capitalised by grammar: a name only if also rare.
            capital = (
                new
                or (original[:1].isupper() and (i > 0 or rare))
                or (len(original) > 1 and original.isupper())
            )
            # A lower-case unknown word in a longer question is left to the evidence threshold:
            # it is as often an ordinary word the corpus lacks ("shortfall") as a name.
            if capital or short:
                flagged.add(i)
                if capital:
                    capitals.add(i)
                # one lone everyday word ("tell me a joke") is off-topic, not a name
                name_like |= capital or (rare and len(words) <= 2)
        if capitals:  # "is Sophos ok on federal endpoints?": the name is Sophos, not endpoints
            flagged &= capitals
        phrases = grow_phrases(match, flagged)  # grows `flagged`
        return phrases, name_like, flagged
