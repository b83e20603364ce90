"""`vendorcheck serve`: put the bot together and serve it, in Socket Mode or HTTP mode.

Start-up order: settings (read once; a missing token -> one line naming it), logging with
secret redaction, the index and model (corrupt or missing -> one line, no serving), the
feedback store, the Bolt app (auth.test against SLACK_API_URL), the admin commands and feed
schedule; then bot/runtime serves it until SIGTERM.
"""

from __future__ import annotations

import argparse

from slack_bolt.error import BoltError

from bot.runtime.http_server import run_http
from bot.runtime.live_index import LiveRetriever
from bot.runtime.logs import SecretRedactor, configure_logging
from bot.runtime.socket_mode import run_socket
from bot.slack.app import BotRuntime, create_app
from bot.slack.feedback import FeedbackStore
from bot.slack.listeners import admin
from bot.slack.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    README_SECTION,
    SlackConfigError,
    SlackSettings,
)
from index import EngineConfig


def load_runtime(config: EngineConfig, settings: SlackSettings) -> BotRuntime:
    """Index + model loaded once, warmed up, then the Bolt app. Raises VendorcheckError."""
    from index import open_retriever

    retriever = LiveRetriever(
        open_retriever(config), config.index_dir, config.model, settings.reload_interval
    )
    retriever.ask("warm up", k=1)  # first inference builds ONNX Runtime's kernels: do it now
    store = FeedbackStore(config.data_dir)
    store.prune()
    redact = SecretRedactor(settings.secrets).redact
    try:
        runtime = create_app(settings, retriever, store)
    except BoltError as exc:
        store.close()
        reason = redact(str(exc).split("\n", 1)[0])
        raise SlackConfigError(
            f"Slack did not accept SLACK_BOT_TOKEN ({reason}); see {README_SECTION}"
        ) from None
    except OSError as exc:  # unreachable API (URLError, refused, DNS, TLS)
        store.close()
        reason = redact(str(getattr(exc, "reason", exc)))
        raise SlackConfigError(
            f"cannot reach the Slack Web API at {settings.api_url} ({reason}); "
            "check the network or SLACK_API_URL"
        ) from None
    runtime.on_close.append(retriever.close)
    fresh = admin.attach(runtime, config)  # admin add, channel watches, scheduled feed sync
    runtime.on_close.insert(0, fresh.close)
    return runtime


def serve(
    config: EngineConfig,
    settings: SlackSettings,
    *,
    http: bool,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    log_level: str | None = None,
) -> int:
    settings.require(http=http)
    configure_logging(log_level or settings.log_level, settings.secrets)
    runtime = load_runtime(config, settings)
    return run_http(runtime, host, port) if http else run_socket(runtime)


def cmd_serve(args: argparse.Namespace, config: EngineConfig) -> int:
    settings = SlackSettings.from_env()
    http = bool(args.http)
    missing = settings.missing(http=False)
    if not http and missing:
        raise SlackConfigError(
            f"{missing[0]} is not set (Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; "
            f"for HTTP mode run `vendorcheck serve --http`); see {README_SECTION}"
        )
    host, port = settings.listen_address(args.host, args.port)
    return serve(config, settings, http=http, host=host, port=port, log_level=args.log_level)


def start_if_configured(config: EngineConfig) -> int:
    """For `vendorcheck start`: run the bot if .env has tokens, else say what is missing."""
    settings = SlackSettings.from_env()
    if settings.bot_token and settings.app_token:
        return serve(config, settings, http=False)
    if settings.bot_token and settings.signing_secret:
        host, port = settings.listen_address()
        return serve(config, settings, http=True, host=host, port=port)
    missing = settings.missing(http=False)
    print(
        "Slack bot: not started. Set "
        + " and ".join(missing)
        + " in .env for Socket Mode (or SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for HTTP mode); "
        + f"see {README_SECTION}."
    )
    return 0


def register_cli(sub, common, corpus) -> None:  # type: ignore[no-untyped-def]
    p = sub.add_parser(
        "serve",
        parents=[common],
        help="run the Slack bot (Socket Mode with SLACK_APP_TOKEN, or --http)",
    )
    p.add_argument(
        "--http", action="store_true", help="HTTP mode: serve /slack/events and /healthz"
    )
    p.add_argument("--port", help=f"HTTP port (VENDORCHECK_PORT, default {DEFAULT_PORT})")
    p.add_argument("--host", help="HTTP bind address (VENDORCHECK_HOST, default 0.0.0.0)")
    p.add_argument("--log-level", help="DEBUG, INFO, WARNING... (VENDORCHECK_LOG_LEVEL)")
    p.set_defaults(handler=cmd_serve)
