"""News feeds: items that name a member of a tracker's body become suggestions for moderators."""
