"""Bounded, SSRF-safe HTTP fetching for articles and feeds.

Everything the bot fetches on someone's behalf (a Slack user's `/vendorcheck add <url>`, a feed
listed in `feeds.yml`, a link inside a feed) goes through `fetch()`:

- http(s) only, no credentials in the URL;
- the host is resolved once and *every* address is checked: private, loopback, link-local,
  multicast, reserved and other non-global addresses are refused unless
  `VENDORCHECK_ALLOW_PRIVATE_URLS=1`;
- the connection goes to the address that was checked (the URL's host is kept for the `Host`
  header and TLS SNI/certificate check), so a DNS answer that changes between check and
  connect (DNS rebinding) cannot reach an internal address;
- redirects are followed by hand, and each hop is checked again;
- a size limit on the decoded body (checked on Content-Length and while streaming), a
  per-operation timeout and an overall deadline;
- no proxy from the environment (it would defeat the address check).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message

import httpx

from index.config import env_number
from index.errors import VendorcheckError

USER_AGENT = "vendorcheck/0.1 (vendor-risk article fetcher)"
REDIRECT_CODES = {301, 302, 303, 307, 308}
Resolver = Callable[[str, int], list[str]]
AddressPolicy = Callable[[ipaddress.IPv4Address | ipaddress.IPv6Address], bool]


class FetchError(VendorcheckError):
    """A page or feed could not be fetched; the message says why in one line."""


class UrlRefusedError(FetchError):
    """The URL is not one the bot may fetch (scheme, credentials, private address)."""


class NetworkError(FetchError):
    pass


class HttpStatusError(FetchError):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class TooLargeError(FetchError):
    pass


def env_flag(name: str) -> bool:
    return (os.environ.get(name) or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class FetchLimits:
    max_bytes: int = 5 * 1024 * 1024
    timeout: float = 15.0  # per connect/read operation, and the overall deadline is 2x this
    max_redirects: int = 5
    allow_private: bool = False

    @classmethod
    def from_env(cls) -> FetchLimits:
        return cls(
            max_bytes=int(env_number("VENDORCHECK_FETCH_MAX_MB", 5.0) * 1024 * 1024),
            timeout=env_number("VENDORCHECK_FETCH_TIMEOUT", 15.0),
            allow_private=env_flag("VENDORCHECK_ALLOW_PRIVATE_URLS"),
        )


@dataclass
class Page:
    """A fetched response body (or a 304 when a conditional request found nothing new)."""

    url: str  # final URL, after redirects
    requested_url: str
    status: int
    content_type: str = ""  # lowercased MIME type without parameters
    charset: str | None = None
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def is_html(self) -> bool:
        return self.content_type in {"text/html", "application/xhtml+xml"} or (
            not self.content_type and self.body.lstrip()[:15].lower().startswith(b"<!doctype html")
        )


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise NetworkError(f"cannot resolve {host}: {exc.args[-1] if exc.args else exc}") from None
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise NetworkError(f"cannot resolve {host}: no addresses")
    return addresses


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only; IPv4 embedded in IPv6 is judged as the IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None and not is_public_address(embedded):
            return False
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def check_addresses(
    host: str, addresses: list[str], allow_private: bool, policy: AddressPolicy | None = None
) -> None:
    """Raise UrlRefusedError unless every address the host resolves to may be fetched."""
    if allow_private:
        return
    allowed = policy or is_public_address
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if not allowed(ip):
            shown = host if host == address else f"{host} ({address})"
            raise UrlRefusedError(
                f"{shown} is a private, loopback or otherwise internal address; the bot does "
                "not fetch those (VENDORCHECK_ALLOW_PRIVATE_URLS=1 allows it)"
            )


def parse_fetchable(url: str) -> httpx.URL:
    """Syntax checks that need no network: http(s), a host, no credentials."""
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError):
        raise UrlRefusedError(f"{url}: not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise UrlRefusedError(f"{url}: only http:// and https:// URLs can be fetched")
    if not parsed.host:
        raise UrlRefusedError(f"{url}: no host name")
    if parsed.userinfo:
        raise UrlRefusedError(f"{url}: URLs with a user name or password are not fetched")
    return parsed


def _tls_context() -> ssl.SSLContext:
    """Certificates are checked against certifi's CA bundle, or SSL_CERT_FILE when set (an
    internal CA). Built once per bundle: creating a context costs tens of milliseconds."""
    return _tls_context_for(os.environ.get("SSL_CERT_FILE") or None)


@functools.lru_cache(maxsize=4)
def _tls_context_for(cafile: str | None) -> ssl.SSLContext:
    if cafile is None:
        import certifi

        cafile = certifi.where()
    try:
        return ssl.create_default_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise FetchError(f"cannot load the CA bundle SSL_CERT_FILE={cafile}: {exc}") from None


def _status_error(status: int, url: str) -> HttpStatusError:
    if status in (404, 410):
        why = "the page was not found"
    elif status in (401, 403):
        why = "the site refused access"
    elif status == 429:
        why = "the site is rate-limiting us; try again later"
    elif status >= 500:
        why = "the site had a server error; try again later"
    else:
        why = "the site answered with an error"
    return HttpStatusError(f"{url}: {why} (HTTP {status})", status)


def _content_type(headers: httpx.Headers) -> tuple[str, str | None]:
    raw = headers.get("content-type", "")
    if not raw:
        return "", None
    message = Message()
    message["content-type"] = raw
    return message.get_content_type().lower(), message.get_param("charset")  # type: ignore[return-value]


def fetch(
    url: str,
    limits: FetchLimits | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    resolver: Resolver | None = None,
    address_policy: AddressPolicy | None = None,
) -> Page:
    """GET `url` within `limits`. Raises a FetchError subclass with a one-line message.

    `headers` may carry conditional-request headers (If-None-Match, If-Modified-Since); a 304
    comes back as a Page with `not_modified`. `resolver` and `address_policy` exist so that
    tests can exercise rebinding and redirect checks on loopback.
    """
    limits = limits or FetchLimits.from_env()
    resolve = resolver or system_resolver
    deadline = time.monotonic() + 2 * limits.timeout
    request_headers = {"User-Agent": USER_AGENT, "Accept": accept, **(headers or {})}
    current = parse_fetchable(url)
    timeout = httpx.Timeout(limits.timeout)
    with httpx.Client(
        trust_env=False, follow_redirects=False, timeout=timeout, verify=_tls_context()
    ) as client:
        for _hop in range(limits.max_redirects + 1):
            response_or_next = _one_hop(
                client, current, request_headers, limits, resolve, address_policy, deadline
            )
            if isinstance(response_or_next, httpx.URL):
                current = parse_fetchable(str(response_or_next))
                continue
            response_or_next.requested_url = url
            return response_or_next
    raise NetworkError(f"{url}: more than {limits.max_redirects} redirects")


def _one_hop(
    client: httpx.Client,
    target: httpx.URL,
    headers: Mapping[str, str],
    limits: FetchLimits,
    resolve: Resolver,
    policy: AddressPolicy | None,
    deadline: float,
) -> Page | httpx.URL:
    host = target.host
    port = target.port or (443 if target.scheme == "https" else 80)
    try:
        literal = ipaddress.ip_address(host)
        addresses = [str(literal)]
    except ValueError:
        addresses = resolve(host, port)
    check_addresses(host, addresses, limits.allow_private, policy)
    host_header = target.netloc.decode("ascii")
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    shown = str(target)
    last_error: Exception | None = None
    for address in addresses:
        pinned = target.copy_with(host=address)
        request = client.build_request(
            "GET", pinned, headers={**headers, "Host": host_header}, extensions=extensions
        )
        try:
            response = client.send(request, stream=True)
        except httpx.ConnectError as exc:
            last_error = exc
            continue
        except httpx.TimeoutException:
            raise NetworkError(f"{shown}: timed out after {limits.timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise NetworkError(f"{shown}: {_describe(exc)}") from None
        try:
            return _read(response, target, limits, deadline)
        finally:
            response.close()
    raise NetworkError(f"{shown}: could not connect ({_describe(last_error)})")


def _read(
    response: httpx.Response, target: httpx.URL, limits: FetchLimits, deadline: float
) -> Page | httpx.URL:
    shown = str(target)
    status = response.status_code
    if status in REDIRECT_CODES:
        location = response.headers.get("location")
        if not location:
            raise NetworkError(f"{shown}: redirect (HTTP {status}) without a Location")
        return target.join(location)
    content_type, charset = _content_type(response.headers)
    headers = {k.lower(): v for k, v in response.headers.items()}
    if status == 304:
        return Page(url=shown, requested_url=shown, status=304, headers=headers)
    if status >= 400:
        raise _status_error(status, shown)
    return Page(
        url=shown,
        requested_url=shown,
        status=status,
        content_type=content_type,
        charset=charset,
        body=_read_body(response, shown, limits, deadline),
        headers=headers,
    )


def _read_body(response: httpx.Response, shown: str, limits: FetchLimits, deadline: float) -> bytes:
    """The body, refused past the size limit (declared or read) or the overall deadline."""
    megabytes = limits.max_bytes / (1024 * 1024)
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise TooLargeError(f"{shown}: the page is larger than the {megabytes:g} MB limit")
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > limits.max_bytes:
                raise TooLargeError(f"{shown}: the page is larger than the {megabytes:g} MB limit")
            if time.monotonic() > deadline:
                raise NetworkError(f"{shown}: took longer than {2 * limits.timeout:g} s")
    except httpx.TimeoutException:
        raise NetworkError(f"{shown}: timed out after {limits.timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise NetworkError(f"{shown}: {_describe(exc)}") from None
    return bytes(body)


def _describe(exc: Exception | None) -> str:
    if exc is None:
        return "no address to connect to"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
