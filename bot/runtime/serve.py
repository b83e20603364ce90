"""`vendorcheck serve`: run the Slack bot in Socket Mode or HTTP mode (uvicorn + Starlette).

Start-up order: settings (missing token -> one line naming it), logging with secret redaction,
the index and model (corrupt or missing -> one line, no serving), the feedback store, the Bolt
app (auth.test against SLACK_API_URL). SIGTERM/SIGINT: stop taking requests, let in-flight
answers finish for up to VENDORCHECK_SHUTDOWN_GRACE seconds, exit 0.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading

import anyio
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.error import BoltError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.slack.app import BotRuntime, create_app
from bot.slack.feedback import FeedbackStore
from bot.slack.middleware import install_redactor
from bot.slack.settings import README_SECTION, SlackConfigError, SlackSettings
from index.config import EngineConfig

log = logging.getLogger("vendorcheck.serve")
DEFAULT_PORT = 3000
DISPATCH_THREADS = 64  # concurrent Bolt dispatches (each only verifies, dedupes, queues, acks)
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kB; refuse anything absurd unread


def configure_logging(settings: SlackSettings, level: str | None = None) -> None:
    name = (level or settings.log_level or "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, name, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger().setLevel(getattr(logging, name, logging.INFO))
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    install_redactor(settings.secrets)


def load_runtime(config: EngineConfig, settings: SlackSettings) -> BotRuntime:
    """Index + model loaded once, warmed up, then the Bolt app. Raises VendorcheckError."""
    from bot.runtime.live_index import LiveRetriever, reload_interval
    from index.engine import open_retriever

    retriever = LiveRetriever(
        open_retriever(config), config.index_dir, config.model, reload_interval()
    )
    retriever.ask("warm up", k=1)  # first inference builds ONNX Runtime's kernels: do it now
    store = FeedbackStore(config.data_dir)
    store.prune()
    try:
        runtime = create_app(settings, retriever, store)
        runtime.on_close.append(retriever.close)
        _attach_extras(runtime, config)
        return runtime
    except BoltError as exc:
        store.close()
        reason = _redact(str(exc).split("\n", 1)[0], settings)
        raise SlackConfigError(
            f"Slack did not accept SLACK_BOT_TOKEN ({reason}); see {README_SECTION}"
        ) from None
    except OSError as exc:  # unreachable API (URLError, refused, DNS, TLS)
        store.close()
        reason = _redact(str(getattr(exc, "reason", exc)), settings)
        raise SlackConfigError(
            f"cannot reach the Slack Web API at {settings.api_url} ({reason}); "
            "check the network or SLACK_API_URL"
        ) from None


def _attach_extras(runtime: BotRuntime, config: EngineConfig) -> None:
    """Freshness on the running bot: admin add, channel watches, scheduled feed sync."""
    from bot.slack.listeners import admin

    fresh = admin.attach(runtime, config)
    runtime.on_close.insert(0, fresh.close)


def _redact(text: str, settings: SlackSettings) -> str:
    for secret in settings.secrets:
        text = text.replace(secret, "[redacted]")
    return text


def build_asgi(runtime: BotRuntime) -> Starlette:
    """POST /slack/events -> Bolt (in a bounded thread pool, off the event loop); GET /healthz."""
    limiter = anyio.CapacityLimiter(DISPATCH_THREADS)
    state = {"stopping": False}

    async def events(request: Request) -> Response:
        declared = request.headers.get("content-length") or "0"
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            return Response("request too large", status_code=413)
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return Response("request too large", status_code=413)
        timestamp = request.headers.get("x-slack-request-timestamp")
        if timestamp is not None and not timestamp.strip().isdigit():
            # slack_sdk's verifier would raise on int(), and Bolt turns that into a 500 with a
            # traceback in the log: a forged request gets a plain 401 instead.
            return Response("invalid request", status_code=401)
        try:
            bolt_request = to_bolt_request(request, body)
        except UnicodeDecodeError:  # Slack always sends UTF-8; this is not Slack
            return Response("bad request", status_code=400)
        bolt_response = await anyio.to_thread.run_sync(
            runtime.app.dispatch, bolt_request, limiter=limiter
        )
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        retriever = runtime.bot.asker
        stored = getattr(retriever, "index", None)
        data = {
            "ok": not state["stopping"],
            "generation": getattr(getattr(stored, "generation", None), "name", None),
            "articles": len(getattr(stored, "articles", []) or []),
            "pending_answers": runtime.service.pending,
        }
        return JSONResponse(data, status_code=503 if state["stopping"] else 200)

    app = Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    app.state.vendorcheck = state
    return app


def build_http_server(runtime: BotRuntime, host: str, port: int):  # type: ignore[no-untyped-def]
    import uvicorn

    config = uvicorn.Config(
        build_asgi(runtime),
        host=host,
        port=port,
        log_config=None,  # our logging (with secret redaction) handles uvicorn's records too
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=max(1, int(runtime.settings.shutdown_grace)),
        timeout_keep_alive=30,
        backlog=2048,
    )
    return uvicorn.Server(config)


def run_http(runtime: BotRuntime, host: str, port: int) -> int:
    server = build_http_server(runtime, host, port)
    print(
        f"vendorcheck: HTTP mode, listening on http://{host}:{port}/slack/events "
        f"(health: /healthz)",
        file=sys.stderr,
        flush=True,
    )
    if threading.current_thread() is threading.main_thread():
        # uvicorn re-raises the signal it caught once it has stopped; with these handlers in
        # place that lands here instead of killing the process before answers are drained.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: None)
    server.run()  # handles SIGTERM/SIGINT: stops accepting, finishes open requests
    drained = runtime.close()
    print(
        "vendorcheck: stopped" + ("" if drained else " (some answers did not finish in time)"),
        file=sys.stderr,
        flush=True,
    )
    return 0


def build_socket_handler(runtime: BotRuntime):  # type: ignore[no-untyped-def]
    """Bolt's built-in Socket Mode handler (no extra dependency); its Web API calls, including
    apps.connections.open, go to SLACK_API_URL through the app's client."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(runtime.app, runtime.settings.app_token)


def run_socket(runtime: BotRuntime) -> int:
    handler = build_socket_handler(runtime)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    handler.connect()
    print(
        "vendorcheck: Socket Mode started (the bot connects out to Slack; no public URL needed)",
        file=sys.stderr,
        flush=True,
    )
    stop.wait()
    print("vendorcheck: stopping (finishing answers in flight)", file=sys.stderr, flush=True)
    handler.close()
    drained = runtime.close()
    print("vendorcheck: stopped" + ("" if drained else " (some answers were cut)"), file=sys.stderr)
    return 0


def serve(
    config: EngineConfig,
    settings: SlackSettings,
    *,
    http: bool,
    host: str = "0.0.0.0",
    port: int = DEFAULT_PORT,
    log_level: str | None = None,
) -> int:
    settings.require(http=http)
    configure_logging(settings, log_level)
    runtime = load_runtime(config, settings)
    return run_http(runtime, host, port) if http else run_socket(runtime)


def _port(value: str | None) -> int:
    try:
        port = int(value or DEFAULT_PORT)
    except ValueError:
        raise SlackConfigError(f"port {value!r} is not a number") from None
    if not 0 < port < 65536:
        raise SlackConfigError(f"port {port} is out of range (1-65535)")
    return port


def cmd_serve(args: argparse.Namespace, config: EngineConfig) -> int:
    settings = SlackSettings.from_env()
    http = bool(args.http)
    missing = settings.missing(http=False)
    if not http and missing:
        raise SlackConfigError(
            f"{missing[0]} is not set (Socket Mode needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN; "
            f"for HTTP mode run `vendorcheck serve --http`); see {README_SECTION}"
        )
    port = _port(args.port or os.environ.get("VENDORCHECK_PORT"))
    host = args.host or os.environ.get("VENDORCHECK_HOST") or "0.0.0.0"
    return serve(config, settings, http=http, host=host, port=port, log_level=args.log_level)


def start_if_configured(config: EngineConfig) -> int:
    """For `vendorcheck start`: run the bot if .env has tokens, else say what is missing."""
    settings = SlackSettings.from_env()
    if settings.bot_token and settings.app_token:
        return serve(config, settings, http=False)
    if settings.bot_token and settings.signing_secret:
        port = _port(os.environ.get("VENDORCHECK_PORT"))
        host = os.environ.get("VENDORCHECK_HOST") or "0.0.0.0"
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
