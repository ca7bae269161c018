"""The console adapter: an interactive prompt and one-shot `tallybot exec` on the shared core."""
