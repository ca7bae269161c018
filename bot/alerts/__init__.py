"""Alerts: channel subscriptions, the outbox and its delivery to every platform."""
