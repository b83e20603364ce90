"""Name normalisation for screening, built on OpenSanctions' MIT-licensed `rigour`.

rigour's organisation analyser already knows legal forms in many languages and scripts ("Co.,
Ltd." -> LEGAL, "OOO", "AO", "Aktiengesellschaft", "Obshchestvo s ogranichennoi
otvetstvennostyu"), generic company words ("Corporation", "Company", "Group": SYMBOL),
industry words ("Technology", "Telecom", "Lab": DOMAIN) and places ("China", "Volgograd":
LOCATION). We keep its judgement instead of a hand-written legal-form list:

- legal forms, stop words and "Company"/"Corporation" are dropped;
- industry words, places and other generic company words ("Group", "Holdings", "Networks")
  are kept but weigh little (`WEAK`): "Huawei Technologies" is mostly "Huawei", and "China
  Telecom" must not match "China Mobile" on "china" alone. A name made only of weak words
  ("General Electric", "Intel") keeps them as its identity;
- everything is transliterated to ASCII (rigour.text.ascii_text) so "Касперского" can meet
  "Kasperskogo".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from rigour.names import NamePartTag, NameTypeTag, analyze_names
from rigour.text import ascii_text

STRONG, WEAK = 0, 1
_DROP_TAGS = {NamePartTag.LEGAL, NamePartTag.STOP}
_DROP_SYMBOLS = {"ORG_CLASS", "SYMBOL:CO", "SYMBOL:CORP"}
_WEAK_SYMBOLS = {"DOMAIN", "LOCATION", "SYMBOL"}


@dataclass(frozen=True)
class NormName:
    """A name reduced to comparable tokens, each STRONG (distinctive) or WEAK (generic)."""

    tokens: tuple[str, ...]
    kinds: tuple[int, ...]

    @property
    def key(self) -> str:
        """Order-free identity: "ABU HASSAN, Khaled" == "Khaled Abu Hassan"."""
        return " ".join(sorted(self.tokens))

    @property
    def compact(self) -> str:
        """Spacing-free identity: "RT-AVTO" == "RTAVTO", "Hik Vision" == "Hikvision"."""
        return "".join(self.tokens)

    @property
    def display(self) -> str:
        return " ".join(self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)


def _categories(symbol: object) -> set[str]:
    """{"SYMBOL", "SYMBOL:CO"} for rigour's "[SYMBOL:CO]": the category, and category:id."""
    category = str(getattr(symbol, "category", "")).rsplit(".", 1)[-1]
    ident = str(symbol).strip("[]").split(":", 1)[-1]
    return {category, f"{category}:{ident}"}


def _part_kinds(name: object) -> dict[int, set[str]]:
    """Part index -> symbol categories rigour found on spans covering it."""
    index = {id(part): i for i, part in enumerate(name.parts)}  # type: ignore[attr-defined]
    found: dict[int, set[str]] = {}
    for span in name.spans:  # type: ignore[attr-defined]
        for part in span.parts:
            position = index.get(id(part))
            if position is None:
                position = next((i for i, p in enumerate(name.parts) if p == part), None)  # type: ignore[attr-defined]
            if position is not None:
                found.setdefault(position, set()).update(_categories(span.symbol))
    return found


def _tokens_of(name: object) -> list[tuple[str, int | None]]:
    """(ascii form, kind or None for dropped) for each part of one analysed name."""
    kinds = _part_kinds(name)
    out: list[tuple[str, int | None]] = []
    for i, part in enumerate(name.parts):  # type: ignore[attr-defined]
        form = ascii_text(part.form).lower().replace(" ", "")
        if not form or not any(c.isalnum() for c in form):
            continue
        categories = kinds.get(i, set())
        if part.tag in _DROP_TAGS or categories & _DROP_SYMBOLS:
            out.append((form, None))
        elif categories & _WEAK_SYMBOLS:
            out.append((form, WEAK))
        else:
            out.append((form, STRONG))
    return out


def _join_initials(pairs: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
    """ "A.C. International" and "A C International" both become "ac international"."""
    out: list[tuple[str, int | None]] = []
    run: list[str] = []
    for form, kind in [*pairs, ("", None)]:
        if len(form) == 1 and form.isalpha():
            run.append(form)
            continue
        if run:
            out.append(("".join(run), STRONG))
            run = []
        if form:
            out.append((form, kind))
    return out


@functools.lru_cache(maxsize=200_000)
def normalize(text: str) -> NormName:
    """Comparable tokens of a company or person name; empty for a name with no letters/digits."""
    text = (text or "").strip()
    if not text:
        return NormName((), ())
    analysed = sorted(
        analyze_names(NameTypeTag.ORG, [text], phonetics=False), key=lambda n: len(n.parts)
    )
    pairs: list[tuple[str, int | None]] = []
    seen: set[str] = set()
    for name in reversed(analysed):  # the fullest reading first, then any extra tokens
        for form, kind in _tokens_of(name):
            if form not in seen:
                seen.add(form)
                pairs.append((form, kind))
    kept = _join_initials([(f, k) for f, k in pairs if k is not None])
    if not kept:  # a name made only of legal forms ("Company Inc"): keep what there is
        kept = [(f, STRONG) for f, _k in pairs]
    elif all(k == WEAK for _f, k in kept):  # "General Electric", "Intel": weak words only
        kept = [(f, STRONG) for f, _k in kept]
    return NormName(tuple(f for f, _ in kept), tuple(k for _, k in kept))  # type: ignore[misc]
