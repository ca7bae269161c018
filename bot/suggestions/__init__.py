"""Suggestions: anyone proposes a declaration with its source; a moderator confirms it."""
