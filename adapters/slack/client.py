"""Slack Web API clients, all pointed at SLACK_API_URL (slack.com, GovSlack or a local fake)."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

WEB_TIMEOUT = 10


def api_base_url(url: str) -> str:
    """slack_sdk appends method names to base_url: it must end with '/'."""
    return url if url.endswith("/") else url + "/"


def interactive_client(token: str | None, api_url: str) -> AsyncWebClient:
    """The app's client: retries 429s itself (a user is waiting; the answer is still wanted).
    A distributed app's has no token: Bolt gives each request its workspace's."""
    client = AsyncWebClient(token=token, base_url=api_base_url(api_url), timeout=WEB_TIMEOUT)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def alert_client(token: str, api_url: str, timeout: int = WEB_TIMEOUT) -> AsyncWebClient:
    """No retry handler at all: the alert dispatcher retries; a resend after a dropped
    connection could post twice."""
    return AsyncWebClient(
        token=token, base_url=api_base_url(api_url), timeout=timeout, retry_handlers=[]
    )


def error_code(exc: SlackApiError) -> str:
    """Slack's error code ('channel_not_found'), or the HTTP status when the body is not JSON."""
    data = exc.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return str(code or f"http {exc.response.status_code}")
