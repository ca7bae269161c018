"""A distributed Slack app's OAuth flow: Bolt's `/slack/install` and `/slack/oauth_redirect`
with our installation and state stores, asking for the bot scopes the manifest lists."""

from __future__ import annotations

import logging
from functools import cache
from importlib.resources import files

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

from adapters.slack.installations import SlackInstallations, SlackOAuthStates
from bot.redaction import RedactCapabilities
from bot.settings import Settings

# At DEBUG slack_sdk logs each response body, oauth.v2.access's new bot token included (and
# Bolt's authorize logs the response of a stale one): those loggers redact it themselves, whatever
# handlers the host process has.
for _name in ("slack_sdk.web.async_base_client", "slack_bolt.AsyncApp"):
    logging.getLogger(_name).addFilter(RedactCapabilities())

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


@cache
def bot_scopes() -> tuple[str, ...]:
    """`oauth_config.scopes.bot` of manifest.yml: the one list of what the app asks for (the
    manifest is read as text, item by item; it is ours and keeps this simple shape)."""
    text = files("adapters.slack").joinpath("manifest.yml").read_text(encoding="utf-8")
    scopes: list[str] = []
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "bot:" and line.startswith("    bot:"):
            inside = True
        elif inside and stripped.startswith("- "):
            scopes.append(stripped[2:].split("#")[0].strip())
        elif inside and stripped and not stripped.startswith("#"):
            break
    if not scopes:
        raise RuntimeError("manifest.yml lists no oauth_config.scopes.bot")
    return tuple(scopes)


def oauth_settings(
    settings: Settings, installations: SlackInstallations, states: SlackOAuthStates
) -> AsyncOAuthSettings:
    """/slack/install answers with a redirect to Slack's authorize page (no page of its own),
    carrying a one-time state; the redirect back is refused without it (and without the state
    cookie set on the same browser)."""
    assert settings.slack_client_id and settings.slack_client_secret
    return AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(bot_scopes()),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        install_page_rendering_enabled=False,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=states,
        state_expiration_seconds=int(states.ttl.total_seconds()),
    )
