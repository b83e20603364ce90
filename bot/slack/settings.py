"""Slack bot settings, read from the environment (and `.env`); every variable is in `.env.example`.

The bot's one place that reads the environment: `vendorcheck serve` reads it once at start-up
and hands the object down (to the app, the servers, the live index, the admin commands).
Secrets are kept out of `repr()` so that a settings object can never leak into a log line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from index.config import env_number
from index.errors import VendorcheckError

README_SECTION = 'README "Install in Slack"'
DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_HOST = "0.0.0.0"
DEFAULT_PORT = 3000


class SlackConfigError(VendorcheckError):
    """A missing or malformed Slack setting; the message names the variable and the fix."""


def _number(name: str, default: float, minimum: float = 0.0) -> float:
    return env_number(name, default, minimum=minimum, error=SlackConfigError)


def _api_url(raw: str) -> str:
    """The Web API base with its trailing slash (WebClient joins method names onto it)."""
    url = raw.strip()
    return url if url.endswith("/") else url + "/"


def _env(name: str, default: str = "") -> str:
    return (os.environ.get(name) or default).strip()


def _credentials() -> dict[str, str]:
    return {
        "bot_token": _env("SLACK_BOT_TOKEN"),
        "signing_secret": _env("SLACK_SIGNING_SECRET"),
        "app_token": _env("SLACK_APP_TOKEN"),
        "api_url": _api_url(os.environ.get("SLACK_API_URL") or DEFAULT_API_URL),
    }


def parse_admins(raw: str | None) -> frozenset[str]:
    """VENDORCHECK_ADMINS: Slack user ids separated by commas or spaces."""
    return frozenset(part for part in re.split(r"[\s,]+", raw or "") if part)


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)


def parse_interval(raw: str | None) -> float:
    """VENDORCHECK_SYNC_INTERVAL: seconds, or with an s/m/h/d suffix. Empty or 0: off."""
    if not raw or not raw.strip():
        return 0.0
    match = _INTERVAL.match(raw)
    if not match:
        raise VendorcheckError(
            f"VENDORCHECK_SYNC_INTERVAL={raw!r} is not a duration (e.g. 900, 15m, 1h)"
        )
    seconds = (
        float(match.group(1))
        * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2).lower()]
    )
    if 0 < seconds < 1:
        raise VendorcheckError("VENDORCHECK_SYNC_INTERVAL must be at least 1 second")
    return seconds


def _reload_interval(raw: str) -> float:
    try:
        return max(0.0, float(raw))
    except ValueError:
        return 30.0


def parse_port(value: str | None) -> int:
    try:
        port = int(value or DEFAULT_PORT)
    except ValueError:
        raise SlackConfigError(f"port {value!r} is not a number") from None
    if not 0 < port < 65536:
        raise SlackConfigError(f"port {port} is out of range (1-65535)")
    return port


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = field(default="", repr=False)
    signing_secret: str = field(default="", repr=False)
    app_token: str = field(default="", repr=False)
    api_url: str = DEFAULT_API_URL
    # Bounded work (issue 5): documented defaults, all overridable by env.
    answer_timeout: float = 20.0  # seconds before the user gets "took too long"
    answer_workers: int = 2  # answers computed in parallel (the box has few cores)
    max_pending: int = 1000  # answers queued beyond the workers; more -> "busy, try again"
    rate_limit: int = 20  # questions per user ...
    rate_window: float = 60.0  # ... per this many seconds
    max_query_chars: int = 500  # the engine cuts longer questions and says so
    dedupe_ttl: float = 3600.0  # Slack retries an event for ~1 h at most (3 retries)
    shutdown_grace: float = 25.0  # SIGTERM: how long in-flight answers may still run
    sources_per_message: int = 3
    max_sources: int = 9  # fetched per question; "More sources" pages through them
    log_level: str = "INFO"
    reload_interval: float = 30.0  # seconds between checks for a newly published index
    admins: frozenset[str] = frozenset()  # who may `/vendorcheck add` and `sync`
    # Kept as written and checked where used, so that an odd value fails the feature that
    # needs it (the schedule, the HTTP listener), not every command that reads settings.
    sync_interval: str = ""  # VENDORCHECK_SYNC_INTERVAL; see `sync_seconds`
    http_host: str = ""  # VENDORCHECK_HOST
    http_port: str = ""  # VENDORCHECK_PORT; see `listen_address`

    @classmethod
    def from_env(cls) -> SlackSettings:
        return cls(
            **_credentials(),
            answer_timeout=_number("VENDORCHECK_ANSWER_TIMEOUT", 20.0, 0.001),
            answer_workers=int(_number("VENDORCHECK_ANSWER_WORKERS", 2, 1)),
            max_pending=int(_number("VENDORCHECK_MAX_PENDING", 1000, 1)),
            rate_limit=int(_number("VENDORCHECK_RATE_LIMIT", 20, 0)),
            rate_window=_number("VENDORCHECK_RATE_WINDOW", 60.0, 1),
            max_query_chars=int(_number("VENDORCHECK_MAX_QUERY_CHARS", 500, 1)),
            dedupe_ttl=_number("VENDORCHECK_DEDUPE_TTL", 3600.0, 1),
            shutdown_grace=_number("VENDORCHECK_SHUTDOWN_GRACE", 25.0, 0),
            sources_per_message=int(_number("VENDORCHECK_SLACK_SOURCES", 3, 1)),
            max_sources=int(_number("VENDORCHECK_SLACK_MAX_SOURCES", 9, 1)),
            log_level=(os.environ.get("VENDORCHECK_LOG_LEVEL") or "INFO").upper(),
            reload_interval=_reload_interval(_env("VENDORCHECK_RELOAD_INTERVAL", "30")),
            admins=parse_admins(os.environ.get("VENDORCHECK_ADMINS")),
            sync_interval=os.environ.get("VENDORCHECK_SYNC_INTERVAL") or "",
            http_host=os.environ.get("VENDORCHECK_HOST") or "",
            http_port=os.environ.get("VENDORCHECK_PORT") or "",
        )

    @classmethod
    def credentials_from_env(cls) -> SlackSettings:
        """Only the tokens and the API URL, for CLI runs that post alerts (`vendorcheck add`,
        `sync`): a malformed serving setting must not stop them."""
        return cls(**_credentials())

    @property
    def sync_seconds(self) -> float:
        """The feed and list sync schedule in seconds (0: off). Raises VendorcheckError on a bad value."""
        return parse_interval(self.sync_interval)

    def listen_address(self, host: str | None = None, port: str | None = None) -> tuple[str, int]:
        """HTTP mode's (host, port): the flags if given, else VENDORCHECK_HOST / _PORT."""
        return host or self.http_host or DEFAULT_HOST, parse_port(port or self.http_port)

    @property
    def secrets(self) -> list[str]:
        return [s for s in (self.bot_token, self.signing_secret, self.app_token) if s]

    def missing(self, http: bool) -> list[str]:
        """The variables a mode needs that are not set, in the order a user should fix them."""
        needed = ["SLACK_BOT_TOKEN"] + (["SLACK_SIGNING_SECRET"] if http else ["SLACK_APP_TOKEN"])
        values = {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_APP_TOKEN": self.app_token,
        }
        return [name for name in needed if not values[name]]

    def require(self, http: bool) -> None:
        missing = self.missing(http)
        if missing:
            mode = "HTTP mode" if http else "Socket Mode"
            raise SlackConfigError(
                f"{missing[0]} is not set ({mode} needs {' and '.join(missing)}); "
                f"see {README_SECTION}"
            )
        if not self.bot_token.startswith("xoxb-"):
            raise SlackConfigError(
                f"SLACK_BOT_TOKEN does not look like a bot token (xoxb-...); see {README_SECTION}"
            )
        if not http and not self.app_token.startswith("xapp-"):
            raise SlackConfigError(
                "SLACK_APP_TOKEN does not look like an app-level token (xapp-...); "
                f"see {README_SECTION}"
            )
        if not self.api_url.startswith(("http://", "https://")):
            raise SlackConfigError(f"SLACK_API_URL must be an http(s) URL; see {README_SECTION}")
