"""Public pages: read-only HTML, JSON, CSV and Atom of the trackers a moderator made public."""
