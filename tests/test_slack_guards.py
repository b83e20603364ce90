"""Rate limiter, log redaction and Slack-text normalisation."""

from __future__ import annotations

import logging

import pytest

from bot.runtime.logs import SecretRedactor
from bot.slack.middleware import RateLimiter
from bot.slack.mrkdwn import query_from_slack
from bot.slack.settings import SlackConfigError, SlackSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_sliding_window_per_user():
    clock = Clock()
    limiter = RateLimiter(limit=2, window=60, clock=clock)
    assert limiter.check("U1") == 0 and limiter.check("U1") == 0
    wait = limiter.check("U1")
    assert 59 <= wait <= 60
    assert limiter.check("U2") == 0
    clock.now += 60
    assert limiter.check("U1") == 0
    assert RateLimiter(limit=0, window=60).check("U1") == 0  # off


def test_redactor_removes_secrets_tokens_and_hook_urls():
    redactor = SecretRedactor(["s3cr3t-signing-value"])
    record = logging.LogRecord(
        "x",
        logging.DEBUG,
        __file__,
        1,
        "sig=%s auth=Bearer %s app=%s body=%s url=%s",
        (
            "s3cr3t-signing-value",
            "xoxb-123-456-abcdef",
            "xapp-1-A1-2-abc",
            '{"token": "legacyverif123", "text": "hi"} token=legacyverif456',
            "https://hooks.slack.com/commands/T1/123/abcSECRET",
        ),
        None,
    )
    redactor.filter(record)
    text = record.getMessage()
    for secret in ("s3cr3t", "xoxb-", "xapp-", "legacyverif", "abcSECRET"):
        assert secret not in text
    assert '"text": "hi"' in text


def test_query_from_slack():
    text = "<@UBOT> is <https://x.example|Kaspersky> &amp; <#C1|sec> ok &lt;now&gt;? <!here>"
    assert query_from_slack(text, "UBOT") == "is Kaspersky & #sec ok <now>?"


def test_settings_require_names_the_missing_variable(monkeypatch):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(SlackConfigError, match=r"^SLACK_SIGNING_SECRET is not set"):
        SlackSettings.from_env().require(http=True)
    monkeypatch.setenv("VENDORCHECK_RATE_LIMIT", "lots")
    with pytest.raises(SlackConfigError, match="VENDORCHECK_RATE_LIMIT"):
        SlackSettings.from_env()
    assert "xoxb" not in repr(SlackSettings(bot_token="xoxb-secret"))


def test_query_from_slack_drops_formatting_emoji_and_quote_marks():
    """How a message looks is not what it asks: "_China Mobile_" must not reach the engine
    as an unknown "Mobile_"; identifiers and words with underscores inside stay as typed."""
    assert query_from_slack("is _China Mobile_ allowed") == "is China Mobile allowed"
    assert query_from_slack("*is Dahua allowed?* ~ZTE~ `huawei`") == "is Dahua allowed? ZTE huawei"
    assert query_from_slack(":warning: TikTok on work phones? :+1:") == "TikTok on work phones?"
    assert query_from_slack("&gt; is ZTE ok") == "is ZTE ok"
    assert query_from_slack("is FAR 52.204-25 ok for vendor_x at 10:30?") == (
        "is FAR 52.204-25 ok for vendor_x at 10:30?"
    )
