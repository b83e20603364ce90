"""URL normalisation, so that the same article reached through different links is one article.

`normalize_url` lowercases scheme and host, drops default ports and the fragment, removes
tracking parameters (utm_*, fbclid, gclid, mc_cid, ref, ...) and sorts the rest (courlan does
the heavy lifting; it is installed with trafilatura).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import courlan

# Parameters courlan keeps but that still only say where a click came from.
_EXTRA_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|mc_cid|mc_eid|"
    r"_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|__s|ref_src|cmpid|ito)$",
    re.I,
)


def is_url(text: str) -> bool:
    """Whether a CLI argument is meant as a URL rather than a file path."""
    return bool(re.match(r"^[a-z][a-z0-9+.-]*://", text.strip(), re.I))


def normalize_url(url: str) -> str:
    """Canonical form of an http(s) URL used to recognise duplicates."""
    url = url.strip()
    try:
        normalized = courlan.normalize_url(url, strict=False)
    except (ValueError, AttributeError):
        normalized = url
    parts = urlsplit(normalized)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    query = sorted((k, v) for k, v in query if not _EXTRA_TRACKING.match(k))
    netloc = parts.netloc.lower()
    if parts.scheme == "http" and netloc.endswith(":80"):
        netloc = netloc[:-3]
    elif parts.scheme == "https" and netloc.endswith(":443"):
        netloc = netloc[:-4]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), netloc, path, urlencode(query), ""))


def url_key(url: str) -> str:
    """Short stable digest of the normalised URL (used in file names)."""
    return hashlib.sha256(normalize_url(url).encode("utf-8")).hexdigest()[:10]
