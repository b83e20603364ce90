"""Test harness for the Slack bot: a real index (seed corpus + fixtures + a hostile article) and
the real Bolt app served by uvicorn on 127.0.0.1 in a thread, talking to `FakeSlack`."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

from conftest import cli_env
from slack_fakes import BOT_TOKEN, SIGNING_SECRET, FakeSlack, free_port, start_http_serve

from bot.runtime.http_server import build_http_server
from bot.slack.app import BotRuntime, create_app
from bot.slack.feedback import FeedbackStore
from bot.slack.settings import SlackSettings
from index.config import EngineConfig
from index.engine import build

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

HOSTILE_ARTICLE = """---
title: "Zyphronix <!here> alert <@U999> review"
url: "https://evil.example/report?a=1&b=2|<!channel>"
publisher: "Evil <b>Wire</b> & Co"
published: 2024-01-02
vendors: [Zyphronix]
---

Zyphronix telemetry agents were flagged by auditors. <!channel> Zyphronix was banned by the \
ministry <@U123> after the audit, see <http://evil.example|click here> for the full Zyphronix \
report & appendix. Also @channel and @everyone were told about Zyphronix.
"""
HOSTILE_QUERY = "was Zyphronix banned by the ministry after the audit?"

# Several sources on one vendor, so an answer has more than one page ("More sources").
CORVANE_FACTS = [
    (
        "2021-02-03",
        "Treasury",
        "The Treasury Department banned Corvane drones from federal "
        "purchases after finding that Corvane flight logs were sent to overseas servers.",
    ),
    (
        "2021-05-11",
        "Defense Daily",
        "The Pentagon banned Corvane drones from all bases, citing "
        "the same Corvane data transfers that led to the Treasury ban.",
    ),
    (
        "2021-08-19",
        "State Wire",
        "Florida banned state agencies from buying Corvane drones and "
        "ordered existing Corvane fleets grounded within sixty days.",
    ),
    (
        "2022-01-25",
        "Commerce Notes",
        "The Commerce Department banned exports of components to "
        "Corvane, adding Corvane to the Entity List over its data practices.",
    ),
    (
        "2022-06-30",
        "Interior Review",
        "The Interior Department banned Corvane drones after an "
        "audit found Corvane firmware could be updated remotely without approval.",
    ),
    (
        "2023-03-14",
        "Procurement Today",
        "GSA banned Corvane drones from its schedules, so no "
        "federal agency can buy Corvane products through GSA contracts.",
    ),
]
CORVANE_QUERY = "why was Corvane banned?"


def corvane_article(date: str, publisher: str, text: str) -> str:
    return (
        f'---\ntitle: "{publisher} on the Corvane drone ban"\n'
        f"url: https://{publisher.lower().replace(' ', '')}.example.com/corvane-{date}\n"
        f"publisher: {publisher}\npublished: {date}\nvendors: [Corvane]\n---\n\n{text}\n"
    )


def build_test_corpus(root: Path, model_cache: Path) -> EngineConfig:
    corpus = root / "corpus"
    corpus.mkdir(parents=True)
    for source in (REPO / "corpus", FIXTURES / "corpus"):
        for path in source.iterdir():
            if path.is_file():
                shutil.copy(path, corpus / path.name)
    (corpus / "zyphronix-2024-01-02-hostile.md").write_text(HOSTILE_ARTICLE, encoding="utf-8")
    for date, publisher, text in CORVANE_FACTS:
        article = corvane_article(date, publisher, text)
        (corpus / f"corvane-{date}.md").write_text(article, encoding="utf-8")
    config = EngineConfig(
        corpus_dir=corpus,
        index_dir=root / "index",
        data_dir=root / "data",
        model_cache_dir=model_cache,
    )
    build(config)
    return config


def make_settings(fake: FakeSlack, **overrides) -> SlackSettings:
    base = SlackSettings(
        bot_token=BOT_TOKEN,
        signing_secret=SIGNING_SECRET,
        app_token="",
        api_url=fake.url,
        rate_limit=1000,
        answer_timeout=60.0,
        shutdown_grace=10.0,
    )
    return replace(base, **overrides)


def start_serve(config: EngineConfig, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`vendorcheck serve --http` on `config` as a subprocess (output piped, text), `env` on top
    of the CLI environment; returns (process, /slack/events URL) once /healthz answers."""
    return start_http_serve(
        cli_env(config, **env),
        config.data_dir.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


class BotServer:
    """The real app in HTTP mode on a free loopback port (uvicorn in a thread)."""

    def __init__(self, settings: SlackSettings, asker, data_dir: Path) -> None:
        self.store = FeedbackStore(data_dir)
        self.runtime: BotRuntime = create_app(settings, asker, self.store)
        self.port = free_port()
        self.server = build_http_server(self.runtime, "127.0.0.1", self.port)
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> BotServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1)
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("bot server did not start")

    def stop(self) -> bool:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        return self.runtime.close()
