"""Slack adapter: `/tally` on slack-bolt (Socket Mode or HTTP), Block Kit replies, alert sender."""
