"""The covered vendors an abstention names to the reader ("Vendors covered include: ...",
"Closest vendors covered: ..."): companies, not the agencies, laws, places and people that a
corpus of government texts also writes like company names."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from index.vendors.registry import VendorIndex

# How the corpus titles a person ("Senator Shaheen", "Secretary Bernhardt").
TITLES = frozenset(
    [
        "senator",
        "sen",
        "representative",
        "rep",
        "congressman",
        "congresswoman",
        "chairman",
        "chairwoman",
        "secretary",
        "judge",
        "justice",
        "commissioner",
        "governor",
        "mr",
        "ms",
        "mrs",
        "dr",
    ]
)


def shown_vendors(vendors: VendorIndex, distinctive: Callable[[list[str]], bool]) -> dict[str, str]:
    """Display name -> key of the covered vendors worth naming to a reader, best covered
    first: named in the alias file or front matter, or read off the text with a name that
    reads as a company's ("Huawei", "ZTE"; "Huawei Designation" shown as "Huawei"), not an
    agency's, a law's, a person's or a place ("Bureau", "Covered List", "UFLPA", "Senator
    Shaheen", "Chicago")."""
    shown: dict[str, str] = {}
    people = people_named(vendors.name(k) for k in vendors.entities)
    for key in vendors.covered():
        name = (
            vendors.name(key) if vendors.is_curated(key) else short_name(vendors, key, distinctive)
        )
        if not name or name.lower() in {n.lower() for n in shown}:
            continue
        if name.lower() in people or name.lower() in vendors.acronyms:
            continue  # a person the corpus titles, or a law's initials
        shown[name] = key
    return shown


def short_name(vendors: VendorIndex, key: str, distinctive: Callable[[list[str]], bool]) -> str:
    """A text-derived vendor's name up to its last word that reads as a name, or ""."""
    name = vendors.name(key)
    parts = name.split()
    if vendors.is_place(name) or (len(parts) > 1 and name.isupper()):  # a heading
        return ""
    if len(parts) == 1 and name.isupper() and 3 <= len(name) <= 5:
        return name  # "ZTE", "DJI"
    keep = [distinctive([p.lower()]) for p in parts]
    if not any(keep):
        return ""
    return " ".join(parts[: max(i for i, k in enumerate(keep) if k) + 1])


def people_named(names: Iterable[str]) -> set[str]:
    """The names (lower-case) that follow a person's title, and the titled names themselves:
    {"senator shaheen", "shaheen"} for "Senator Shaheen"."""
    found: set[str] = set()
    for name in names:
        parts = name.lower().split()
        if len(parts) > 1 and parts[0].rstrip(".") in TITLES:
            found.update((name.lower(), " ".join(parts[1:]), parts[-1]))
    return found
