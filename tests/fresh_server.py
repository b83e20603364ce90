"""A small website on 127.0.0.1 for the freshness tests: articles, feeds, errors, redirects.

Routes can be added or changed while it runs (to publish a new feed entry), and every request
is recorded with its headers (to check conditional requests).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    conditional: bool = False  # answer If-None-Match / If-Modified-Since with 304
    delay: float = 0.0  # seconds to wait before answering (a slow site)
    no_length: bool = False  # no Content-Length: the body ends when the connection closes


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    status: int = 0


LAST_MODIFIED = "Tue, 01 Oct 2024 08:00:00 GMT"


class Site:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.posts: list[tuple[str, bytes]] = []  # (path, body) of POSTs, e.g. a fake Web API
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with site._lock:
                    site.posts.append((self.path, body))
                reply = b'{"ok": true, "channel": "C0", "ts": "1.1"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def do_GET(self) -> None:
                seen = Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
                with site._lock:
                    site.requests.append(seen)
                    route = site.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    route = Route(b"<html><body><h1>Not found</h1></body></html>", status=404)
                etag = '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
                if route.conditional and (
                    seen.headers.get("if-none-match") == etag
                    or (
                        "if-none-match" not in seen.headers
                        and seen.headers.get("if-modified-since") == LAST_MODIFIED
                    )
                ):
                    seen.status = 304
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                seen.status = route.status
                if route.delay:
                    time.sleep(route.delay)
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                if route.no_length:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                else:
                    self.send_header("Content-Length", str(len(route.body)))
                if route.conditional:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", LAST_MODIFIED)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(route.body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # clients hanging up early
        self.port = self.server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Site:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: str | bytes, **kwargs: object) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.routes[path] = Route(data, **kwargs)  # type: ignore[arg-type]

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]


def article_html(
    title: str,
    paragraphs: list[str],
    site_name: str | None = None,
    published: str | None = None,
    author: str | None = None,
    canonical: str | None = None,
) -> str:
    """An article page; with no metadata arguments, it has none (no <title>, no <meta>)."""
    head = []
    if site_name:
        head.append(f"<title>{title} | {site_name}</title>")
        head.append(f'<meta property="og:title" content="{title}">')
        head.append(f'<meta property="og:site_name" content="{site_name}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}">')
    if author:
        head.append(f'<meta name="author" content="{author}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{canonical}">')
    body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
    heading = f"<h1>{title}</h1>" if site_name else ""
    return (
        f"<!DOCTYPE html><html><head>{''.join(head)}</head><body>"
        f"<nav><a href='/'>Home</a> <a href='/about'>About</a></nav>"
        f"<article>{heading}{body}</article>"
        f"<footer>Copyright the publisher. All rights reserved.</footer></body></html>"
    )


def rss(title: str, items: list[dict[str, str]]) -> str:
    entries = "".join(
        f"<item><title>{i['title']}</title><link>{i['link']}</link>"
        f"<guid>{i.get('guid', i['link'])}</guid><pubDate>{i['date']}</pubDate>"
        f"<description>{i.get('summary', '')}</description></item>"
        for i in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.invalid/</link>"
        f"<description>test feed</description>{entries}</channel></rss>"
    )


def atom(title: str, entries: list[dict[str, str]]) -> str:
    body = "".join(
        f'<entry><title>{e["title"]}</title><link href="{e["link"]}"/>'
        f"<id>{e.get('id', e['link'])}</id><updated>{e['date']}</updated>"
        f"<summary>{e.get('summary', '')}</summary></entry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>{title}</title><id>urn:test:{title}</id><updated>2024-10-01T08:00:00Z</updated>"
        f"{body}</feed>"
    )
