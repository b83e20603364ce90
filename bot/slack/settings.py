"""Slack bot settings, read from the environment (and `.env`); every variable is in `.env.example`.

Secrets are kept out of `repr()` so that a settings object can never leak into a log line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from index.config import env_number
from index.errors import VendorcheckError

README_SECTION = 'README "Install in Slack"'
DEFAULT_API_URL = "https://slack.com/api/"


class SlackConfigError(VendorcheckError):
    """A missing or malformed Slack setting; the message names the variable and the fix."""


def _number(name: str, default: float, minimum: float = 0.0) -> float:
    return env_number(name, default, minimum=minimum, error=SlackConfigError)


def _api_url(raw: str) -> str:
    """The Web API base with its trailing slash (WebClient joins method names onto it)."""
    url = raw.strip()
    return url if url.endswith("/") else url + "/"


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

    @classmethod
    def from_env(cls) -> SlackSettings:
        return cls(
            bot_token=(os.environ.get("SLACK_BOT_TOKEN") or "").strip(),
            signing_secret=(os.environ.get("SLACK_SIGNING_SECRET") or "").strip(),
            app_token=(os.environ.get("SLACK_APP_TOKEN") or "").strip(),
            api_url=_api_url(os.environ.get("SLACK_API_URL") or DEFAULT_API_URL),
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
        )

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
