"""Keeping the corpus fresh: add URL, feeds sync, SSRF guard, watch alerts (engine + CLI).

Everything runs against a real HTTP server on 127.0.0.1 (tests/fresh_server.py); loopback is
only reachable because these tests opt in with allow_private / VENDORCHECK_ALLOW_PRIVATE_URLS.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
from pathlib import Path
from urllib.parse import parse_qs

import frontmatter
import pytest
from conftest import run_cli, seed_corpus
from fresh_server import Site, article_html, atom, rss

from index.config import EngineConfig
from index.engine import build, open_retriever
from index.ingest.feeds import FeedConfigError, load_feeds
from index.ingest.fetch import FetchLimits, NetworkError, TooLargeError, UrlRefusedError, fetch
from index.ingest.refresh import add_urls, sync_feeds
from index.store.generations import build_lock, current_generation
from index.text.urls import normalize_url
from index.watch.watchlist import Watchlist, WatchlistError

LOOPBACK = FetchLimits(allow_private=True, timeout=5)

VELKOR = [
    "The Treasury Department added Velkor Systems to its sanctions list on Thursday, barring "
    "federal agencies from buying the company's surveillance cameras and video recorders.",
    "Agencies that already run Velkor cameras were told to disconnect them from federal "
    "networks within ninety days and to report every remaining unit to their security office.",
    "Velkor said it would challenge the decision and denied that its firmware sends footage "
    "to servers abroad, but two independent audits found undisclosed remote access accounts.",
]
OSTRAVA = [
    "Ostrava Telecom routers ship with a hidden maintenance account that cannot be disabled, "
    "a researcher told the conference, and the vendor has not answered repeated requests.",
    "Procurement teams at several state agencies paused new Ostrava Telecom orders until the "
    "company publishes a firmware update that removes the account from every model it sells.",
]


def _page(vendor: str, topic: str) -> list[str]:
    return [
        f"{vendor} is under review after regulators questioned its {topic}, according to "
        "people familiar with the matter who asked not to be named in this report.",
        f"Several agencies said they would stop new purchases from {vendor} until the review "
        "ends, and contractors were asked to list every product from the company in use.",
    ]


@pytest.fixture
def site():
    server = Site().start()
    server.add(
        "/news/velkor-sanctions.html",
        article_html(
            "Treasury sanctions Velkor Systems camera maker",
            VELKOR,
            site_name="Federal Wire",
            published="2024-09-12T10:00:00Z",
            author="Dana Reyes",
        ),
    )
    server.add("/blog/ostrava", article_html("unused", OSTRAVA))
    server.add("/old-link", b"", status=302, headers={"Location": "/news/velkor-sanctions.html"})
    server.add("/report.pdf", b"%PDF-1.4 binary", content_type="application/pdf")
    server.add(
        "/stub.html", "<html><head><title>Login</title></head><body><p>Sign in</p></body></html>"
    )
    server.add("/huge.html", b"<html><body>" + b"<p>word </p>" * 200_000 + b"</body></html>")
    for name, vendor in (("brinmark", "Brinmark"), ("quellar", "Quellar"), ("tessaly", "Tessaly")):
        server.add(
            f"/feeds/{name}.html",
            article_html(
                f"{vendor} faces federal review",
                _page(vendor, "supply chain"),
                site_name="Feed Daily",
                published="2024-10-0" + str(len(name) % 9) + "T09:00:00Z",
            ),
        )
    yield server
    server.stop()


@pytest.fixture
def config(tmp_path: Path, config_for) -> EngineConfig:
    return config_for(seed_corpus(tmp_path))


def _web_files(config: EngineConfig) -> list[Path]:
    return (
        sorted((config.corpus_dir / "web").rglob("*.md"))
        if (config.corpus_dir / "web").exists()
        else []
    )


# --- add URL --------------------------------------------------------------------------------


def test_add_url_saves_article_with_metadata_and_it_answers(site, config, embedder):
    url = site.url("/news/velkor-sanctions.html")
    report = add_urls(config, [url], LOOPBACK)
    [outcome] = report.outcomes
    assert outcome.status == "added", outcome.message
    assert outcome.passages >= 1
    [path] = _web_files(config)
    post = frontmatter.load(path)
    assert post["title"] == "Treasury sanctions Velkor Systems camera maker"
    assert post["url"] == normalize_url(url)
    assert post["publisher"] == "Federal Wire"
    assert str(post["published"]) == "2024-09-12"
    assert post["author"] == "Dana Reyes"
    assert "fetched" in post.metadata
    assert "Copyright the publisher" not in post.content  # boilerplate stripped
    assert VELKOR[1] in post.content
    assert not list(config.corpus_dir.rglob(".*.tmp"))  # written atomically, no leftovers

    answer = open_retriever(config, embedder).ask("are Velkor cameras allowed on federal networks?")
    top = answer.results[0]
    assert top.article.url == normalize_url(url)
    assert top.article.publisher == "Federal Wire"
    assert top.article.published == "2024-09-12"


def test_add_url_without_metadata_falls_back_to_text_and_host(site, config):
    report = add_urls(config, [site.url("/blog/ostrava")], LOOPBACK)
    [outcome] = report.outcomes
    assert outcome.status == "added", outcome.message
    article = outcome.article
    assert article.title.startswith("Ostrava Telecom routers ship with a hidden")
    assert article.publisher  # the site's host when the page names no publisher
    assert article.published is None
    assert article.url == normalize_url(site.url("/blog/ostrava"))


def test_repeat_add_with_tracking_params_updates_instead_of_duplicating(site, config):
    url = site.url("/news/velkor-sanctions.html")
    first = add_urls(config, [url], LOOPBACK)
    assert first.outcomes[0].status == "added"
    generation = current_generation(config.index_dir)

    again = add_urls(config, [url + "?utm_source=slack&utm_medium=share&fbclid=abc#top"], LOOPBACK)
    assert again.outcomes[0].status == "unchanged"
    assert len(_web_files(config)) == 1
    assert current_generation(config.index_dir) == generation  # nothing re-indexed

    site.add(
        "/news/velkor-sanctions.html",
        article_html(
            "Treasury sanctions Velkor Systems camera maker (updated)",
            [*VELKOR, "Update: Velkor has filed an appeal with the Treasury Department."],
            site_name="Federal Wire",
            published="2024-09-12T10:00:00Z",
        ),
    )
    updated = add_urls(config, [url + "?gclid=xyz"], LOOPBACK)
    assert updated.outcomes[0].status == "updated"
    assert updated.build is not None and updated.build.changed and not updated.build.added
    [path] = _web_files(config)
    assert "filed an appeal" in path.read_text(encoding="utf-8")


def test_redirect_is_followed_and_saved_under_the_final_url(site, config):
    report = add_urls(config, [site.url("/old-link")], LOOPBACK)
    outcome = report.outcomes[0]
    assert outcome.status == "added", outcome.message
    assert outcome.article.url == normalize_url(site.url("/news/velkor-sanctions.html"))
    again = add_urls(config, [site.url("/news/velkor-sanctions.html")], LOOPBACK)
    assert again.outcomes[0].status == "unchanged"
    assert len(_web_files(config)) == 1


def test_same_url_as_a_hand_written_article_is_not_duplicated(site, config):
    url = site.url("/news/velkor-sanctions.html")
    (config.corpus_dir / "velkor.md").write_text(
        f"---\ntitle: Velkor notes\nurl: {url}?utm_campaign=x\n---\n\nOur own notes on Velkor.\n",
        encoding="utf-8",
    )
    build(config)
    report = add_urls(config, [url], LOOPBACK)
    assert report.outcomes[0].status == "exists"
    assert "velkor.md" in report.outcomes[0].message
    assert _web_files(config) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/missing.html", "the page was not found (HTTP 404)"),
        ("/report.pdf", "not an HTML page (application/pdf)"),
        ("/stub.html", "no article text could be extracted"),
        ("/huge.html", "larger than the 1 MB limit"),
    ],
)
def test_fetch_problems_give_one_clear_message_and_add_nothing(site, config, path, expected):
    build(config)
    generation = current_generation(config.index_dir)
    limits = FetchLimits(allow_private=True, timeout=5, max_bytes=1024 * 1024)
    report = add_urls(config, [site.url(path)], limits)
    [outcome] = report.outcomes
    assert outcome.status == "failed"
    assert expected in outcome.message
    assert "\n" not in outcome.message
    assert report.build is None
    assert _web_files(config) == []
    assert current_generation(config.index_dir) == generation


def test_size_limit_holds_without_content_length_and_slow_sites_time_out(site):
    site.add("/stream.html", b"<p>" + b"x" * 3_000_000 + b"</p>", no_length=True)
    limits = FetchLimits(allow_private=True, timeout=5, max_bytes=1024 * 1024)
    with pytest.raises(TooLargeError, match="larger than the 1 MB limit"):
        fetch(site.url("/stream.html"), limits)
    site.add("/slow.html", article_html("Slow", VELKOR), delay=3)
    with pytest.raises(NetworkError, match="timed out after 1 s"):
        fetch(site.url("/slow.html"), FetchLimits(allow_private=True, timeout=1))


def test_network_error_is_one_line(config):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = add_urls(config, [f"http://127.0.0.1:{port}/x"], LOOPBACK)
    [outcome] = report.outcomes
    assert outcome.status == "failed" and outcome.transient
    assert "could not connect" in outcome.message


def test_a_failed_index_build_puts_the_corpus_back(site, config):
    build(config)
    # another builder holds the index, so the build fails after the article was written
    with build_lock(config.index_dir), pytest.raises(Exception, match="already updating"):
        add_urls(config, [site.url("/news/velkor-sanctions.html")], LOOPBACK)
    assert _web_files(config) == []
    assert not (config.corpus_dir / "web").exists()


# --- SSRF guard -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/news/velkor-sanctions.html",
        "http://localhost:{port}/news/velkor-sanctions.html",
        "http://[::1]:{port}/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/",
        "http://[::ffff:192.168.0.1]/",
        "file:///etc/passwd",
        "ftp://example.com/file",
        "http://user:secret@example.com/",
    ],
)
def test_private_and_non_http_urls_are_refused_without_a_request(site, url):
    with pytest.raises(UrlRefusedError):
        fetch(url.format(port=site.port), FetchLimits(allow_private=False, timeout=2))
    assert site.requests == []


def test_every_resolved_address_is_checked(site):
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]  # one public, one internal: refuse

    with pytest.raises(UrlRefusedError, match=r"127\.0\.0\.1"):
        fetch("http://news.example/x", FetchLimits(timeout=2), resolver=resolver)
    assert site.requests == []


def test_connection_goes_to_the_checked_address_with_the_original_host(site):
    """DNS rebinding: the host is resolved once and the checked address is what we connect to."""
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # a second lookup would get another address

    def resolver(host: str, port: int) -> list[str]:
        return next(answers)

    page = fetch(
        f"http://news.example:{site.port}/news/velkor-sanctions.html",
        FetchLimits(timeout=5),
        resolver=resolver,
        address_policy=lambda ip: str(ip) == "127.0.0.1",
    )
    assert page.status == 200
    assert site.requests[-1].headers["host"] == f"news.example:{site.port}"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_connects_to_the_checked_address_and_verifies_the_real_host_name(
    tmp_path, monkeypatch
):
    """Pinning the address must not weaken TLS: SNI and the certificate check use the host."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=tmp_path, check=True, capture_output=True)

    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=vendorcheck test CA",
    )
    openssl(
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "srv.key",
        "-out",
        "srv.csr",
        "-subj",
        "/CN=news.example",
    )
    (tmp_path / "ext.cnf").write_text("subjectAltName=DNS:news.example\n")
    openssl(
        "x509",
        "-req",
        "-in",
        "srv.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "srv.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )
    site = Site()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(tmp_path / "srv.pem", tmp_path / "srv.key")
    site.server.socket = tls.wrap_socket(site.server.socket, server_side=True)
    site.start()
    site.add("/x.html", article_html("TLS", VELKOR, site_name="Secure Wire"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    loopback = FetchLimits(timeout=5)
    only_loopback = {
        "resolver": lambda host, port: ["127.0.0.1"],
        "address_policy": lambda ip: str(ip) == "127.0.0.1",
    }
    try:
        page = fetch(f"https://news.example:{site.port}/x.html", loopback, **only_loopback)
        assert (
            page.status == 200 and site.requests[-1].headers["host"] == f"news.example:{site.port}"
        )
        with pytest.raises(NetworkError, match="certificate"):
            fetch(f"https://other.example:{site.port}/x.html", loopback, **only_loopback)
    finally:
        site.stop()


def test_redirects_are_checked_again(site):
    site.add("/hop", b"", status=302, headers={"Location": f"http://127.0.0.2:{site.port}/x"})
    with pytest.raises(UrlRefusedError, match=r"127\.0\.0\.2"):
        fetch(
            site.url("/hop"),
            FetchLimits(timeout=5),
            address_policy=lambda ip: str(ip) == "127.0.0.1",
        )
    assert [r.path for r in site.requests] == ["/hop"]


def test_unreachable_host_is_a_network_error():
    def resolver(host: str, port: int) -> list[str]:
        raise NetworkError(f"cannot resolve {host}: Name or service not known")

    with pytest.raises(NetworkError, match="cannot resolve"):
        fetch("https://no-such-host.invalid/", FetchLimits(timeout=2), resolver=resolver)


# --- feeds ----------------------------------------------------------------------------------


def _publish_feeds(site: Site, rss_items: list[str], atom_items: list[str]) -> None:
    dates = {
        "brinmark": "Tue, 01 Oct 2024 08:00:00 GMT",
        "quellar": "Wed, 02 Oct 2024 08:00:00 GMT",
    }
    site.add(
        "/rss.xml",
        rss(
            "Feed Daily",
            [
                {
                    "title": f"{n.title()} faces federal review",
                    "link": site.url(f"/feeds/{n}.html?utm_source=rss"),
                    "date": dates.get(n, "Thu, 03 Oct 2024 08:00:00 GMT"),
                }
                for n in rss_items
            ],
        ),
        content_type="application/rss+xml",
        conditional=True,
    )
    site.add(
        "/atom.xml",
        atom(
            "Atom Daily",
            [
                {
                    "title": f"{n.title()} faces federal review",
                    "link": site.url(f"/feeds/{n}.html"),
                    "date": "2024-10-03T08:00:00Z",
                }
                for n in atom_items
            ],
        ),
        content_type="application/atom+xml",
        conditional=True,
    )


def _write_feeds(config: EngineConfig, site: Site, extra: str = "") -> None:
    (config.corpus_dir / "feeds.yml").write_text(
        "feeds:\n"
        f"  - url: {site.url('/rss.xml')}\n    name: Feed Daily\n{extra}"
        f"  - url: {site.url('/atom.xml')}\n    name: Atom Daily\n",
        encoding="utf-8",
    )


def test_sync_adds_new_entries_once_and_sends_conditional_requests(site, config, embedder):
    _publish_feeds(site, ["brinmark", "quellar"], ["tessaly"])
    _write_feeds(config, site)
    first = sync_feeds(config, LOOPBACK)
    assert sorted(o.status for o in first.outcomes) == ["added", "added", "added"]
    assert len(_web_files(config)) == 3
    assert first.build is not None
    assert len([a for a in first.build.added if a.startswith("web/")]) == 3
    titles = {o.article.title for o in first.outcomes}
    assert titles == {f"{v} faces federal review" for v in ("Brinmark", "Quellar", "Tessaly")}

    page_hits = len(site.hits("/feeds/brinmark.html"))
    generation = current_generation(config.index_dir)
    second = sync_feeds(config, LOOPBACK)
    assert second.outcomes == []
    assert all(f.not_modified for f in second.feeds)
    for feed in ("/rss.xml", "/atom.xml"):
        last = site.hits(feed)[-1]
        assert last.headers.get("if-none-match") and last.status == 304
        assert last.headers.get("if-modified-since")
    assert len(site.hits("/feeds/brinmark.html")) == page_hits  # no article fetched again
    assert current_generation(config.index_dir) == generation

    answer = open_retriever(config, embedder).ask("Quellar supply chain review")
    assert answer.results[0].article.title == "Quellar faces federal review"


def test_a_changed_feed_only_fetches_its_new_entries(site, config):
    _publish_feeds(site, ["brinmark"], [])
    _write_feeds(config, site)
    sync_feeds(config, LOOPBACK)
    _publish_feeds(site, ["brinmark", "quellar"], [])
    report = sync_feeds(config, LOOPBACK)
    assert [o.status for o in report.outcomes] == ["added"]
    assert len(site.hits("/feeds/brinmark.html")) == 1
    assert len(site.hits("/feeds/quellar.html")) == 1


def test_a_cancelled_sync_leaves_the_rest_for_next_time(site, config):
    _publish_feeds(site, ["brinmark", "quellar"], [])
    _write_feeds(config, site)
    stop = threading.Event()
    stop.set()  # the server is shutting down
    cancelled = sync_feeds(config, LOOPBACK, cancel=stop)
    assert cancelled.outcomes == [] and _web_files(config) == []
    report = sync_feeds(config, LOOPBACK)
    assert sorted(o.status for o in report.outcomes) == ["added", "added"]


def test_feed_filters_keep_only_matching_entries(site, config):
    _publish_feeds(site, ["brinmark", "quellar"], [])
    _write_feeds(config, site, extra="    vendors: [Quellar]\n")
    report = sync_feeds(config, LOOPBACK)
    statuses = {o.url.split("/")[-1].split(".")[0]: o.status for o in report.outcomes}
    assert statuses["quellar"] == "added"
    assert "brinmark" not in statuses or statuses["brinmark"] == "filtered"
    assert len(_web_files(config)) == 1
    assert sync_feeds(config, LOOPBACK).outcomes == []  # filtered entries are remembered too


def test_feed_errors_are_reported_per_feed(site, config):
    _publish_feeds(site, ["brinmark"], [])
    (config.corpus_dir / "feeds.yml").write_text(
        f"feeds:\n  - url: {site.url('/gone.xml')}\n  - url: {site.url('/rss.xml')}\n",
        encoding="utf-8",
    )
    report = sync_feeds(config, LOOPBACK)
    assert "HTTP 404" in report.feeds[0].error
    assert [o.status for o in report.outcomes] == ["added"]


def test_feeds_yml_mistakes_are_one_line(tmp_path):
    path = tmp_path / "feeds.yml"
    path.write_text("feeds:\n  - name: no url\n", encoding="utf-8")
    with pytest.raises(FeedConfigError, match="needs a `url:`"):
        load_feeds(path)
    path.write_text("feeds:\n  - url: ftp://x/feed\n", encoding="utf-8")
    with pytest.raises(FeedConfigError, match="not http"):
        load_feeds(path)
    path.write_text("feeds: [\n", encoding="utf-8")
    with pytest.raises(FeedConfigError):
        load_feeds(path)


# --- watchlists and alerts -----------------------------------------------------------------


def test_watchlist_persists_and_validates(tmp_path):
    watchlist = Watchlist(tmp_path)
    assert watchlist.watch("C1", "Velkor Systems", "U1")
    assert not watchlist.watch("C1", "velkor  systems")
    watchlist.watch("C2", "Quellar")
    watchlist.close()
    reopened = Watchlist(tmp_path)
    assert reopened.watching() == {"C1": ["Velkor Systems"], "C2": ["Quellar"]}
    assert reopened.unwatch("C1", "VELKOR SYSTEMS")
    assert not reopened.unwatch("C1", "Velkor Systems")
    with pytest.raises(WatchlistError):
        reopened.watch("C1", "   ")
    with pytest.raises(WatchlistError):
        reopened.watch("C1", "x" * 200)


def test_new_feed_entry_alerts_the_watching_channel_once(site, config):
    from slack_sdk import WebClient

    from bot.slack.alerts import post_alerts

    slack = Site().start()  # stands in for the Slack Web API
    try:
        client = WebClient(token="xoxb-test", base_url=slack.url("/api/"))
        watchlist = Watchlist(config.data_dir)
        watchlist.watch("C_QUELLAR", "Quellar")
        watchlist.watch("C_OTHER", "Nobody Corp")
        _publish_feeds(site, ["brinmark"], [])
        _write_feeds(config, site)
        first = sync_feeds(config, LOOPBACK)
        assert post_alerts(client, watchlist, first.new_articles).sent == []

        _publish_feeds(site, ["brinmark", "quellar"], [])
        second = sync_feeds(config, LOOPBACK)
        sent = post_alerts(client, watchlist, second.new_articles).sent
        assert [(m.channel, m.vendor) for m in sent] == [("C_QUELLAR", "Quellar")]
        [(path, body)] = slack.posts
        assert path == "/api/chat.postMessage"
        payload = (
            json.loads(body)
            if body.startswith(b"{")
            else {k: v[0] for k, v in parse_qs(body.decode()).items()}
        )
        assert payload["channel"] == "C_QUELLAR"
        blocks = (
            json.dumps(payload["blocks"])
            if not isinstance(payload["blocks"], str)
            else payload["blocks"]
        )
        assert "Quellar faces federal review" in blocks
        assert "Quellar is under review" in blocks  # the key quote

        # The same article again (re-added, re-synced): no second alert.
        again = add_urls(config, [site.url("/feeds/quellar.html")], LOOPBACK)
        assert post_alerts(client, watchlist, [o.article for o in again.outcomes]).sent == []
        assert len(slack.posts) == 1
    finally:
        slack.stop()


# --- CLI ------------------------------------------------------------------------------------


def test_cli_add_url_sync_and_watch(site, config):
    allow = {"VENDORCHECK_ALLOW_PRIVATE_URLS": "1", "SLACK_BOT_TOKEN": ""}
    url = site.url("/news/velkor-sanctions.html")
    result = run_cli(config, "add", url, **allow)
    assert result.returncode == 0, result.stderr
    assert "added" in result.stdout and "Treasury sanctions Velkor Systems" in result.stdout
    assert "2024-09-12" in result.stdout

    result = run_cli(config, "ask", "Velkor cameras federal networks", "--json", **allow)
    assert json.loads(result.stdout)["results"][0]["article"]["url"] == normalize_url(url)

    result = run_cli(config, "add", site.url("/missing.html"), **allow)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"failed    {site.url('/missing.html')}: the page was not found (HTTP 404)"
    ]

    refused = run_cli(config, "add", url, VENDORCHECK_ALLOW_PRIVATE_URLS="0")
    assert refused.returncode == 1
    assert "private, loopback" in refused.stderr and "Traceback" not in refused.stderr

    _publish_feeds(site, ["brinmark"], ["tessaly"])
    _write_feeds(config, site)
    first = run_cli(config, "sync", **allow)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("added") >= 2
    second = run_cli(config, "sync", **allow)
    assert second.returncode == 0, second.stderr
    assert "not modified" in second.stdout and "Nothing new." in second.stdout
    feeds = run_cli(config, "feeds")
    assert "Feed Daily" in feeds.stdout and "1 entries handled" in feeds.stdout

    assert run_cli(config, "watch", "C123", "Velkor").returncode == 0
    listing = run_cli(config, "watching")
    assert "C123" in listing.stdout and "Velkor" in listing.stdout
    assert "stopped watching" in run_cli(config, "unwatch", "C123", "velkor").stdout
