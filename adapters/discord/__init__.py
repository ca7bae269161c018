"""The Discord adapter: slash commands generated from the spec, embeds, alerts, the service."""
