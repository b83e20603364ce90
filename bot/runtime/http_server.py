"""HTTP mode: Slack's requests on POST /slack/events (uvicorn + Starlette, handed to Bolt in a
bounded thread pool off the event loop) and GET /healthz for the load balancer."""

from __future__ import annotations

import anyio
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.runtime.lifecycle import ServedBot, drain, on_stop_signal, say

DISPATCH_THREADS = 64  # concurrent Bolt dispatches (each only verifies, dedupes, queues, acks)
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few kB; refuse anything absurd unread


async def _checked_body(request: Request) -> bytes | Response:
    """The request body, or the response refusing it (too large, forged timestamp)."""
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
    return body


def build_asgi(bot: ServedBot) -> Starlette:
    """POST /slack/events -> Bolt (in a bounded thread pool, off the event loop); GET /healthz."""
    limiter = anyio.CapacityLimiter(DISPATCH_THREADS)
    state = {"stopping": False}

    async def events(request: Request) -> Response:
        body = await _checked_body(request)
        if isinstance(body, Response):
            return body
        try:
            bolt_request = to_bolt_request(request, body)
        except UnicodeDecodeError:  # Slack always sends UTF-8; this is not Slack
            return Response("bad request", status_code=400)
        bolt_response = await anyio.to_thread.run_sync(
            bot.app.dispatch, bolt_request, limiter=limiter
        )
        return to_starlette_response(bolt_response)

    async def healthz(request: Request) -> Response:
        data = {"ok": not state["stopping"], **bot.status()}
        return JSONResponse(data, status_code=503 if state["stopping"] else 200)

    app = Starlette(
        routes=[
            Route("/slack/events", events, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    app.state.vendorcheck = state
    return app


def build_http_server(bot: ServedBot, host: str, port: int):  # type: ignore[no-untyped-def]
    import uvicorn

    config = uvicorn.Config(
        build_asgi(bot),
        host=host,
        port=port,
        log_config=None,  # our logging (with secret redaction) handles uvicorn's records too
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=max(1, int(bot.settings.shutdown_grace)),
        timeout_keep_alive=30,
        backlog=2048,
    )
    return uvicorn.Server(config)


def run_http(bot: ServedBot, host: str, port: int) -> int:
    server = build_http_server(bot, host, port)
    say(f"HTTP mode, listening on http://{host}:{port}/slack/events (health: /healthz)")
    # uvicorn re-raises the signal it caught once it has stopped; with these handlers in
    # place that lands here instead of killing the process before answers are drained.
    on_stop_signal(lambda: None)
    server.run()  # handles SIGTERM/SIGINT: stops accepting, finishes open requests
    return drain(bot, "some answers did not finish in time")
