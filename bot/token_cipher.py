"""Tokens at rest: sealed with Fernet (the `cryptography` package) when TALLYBOT_SECRET_KEY is
set, kept as they are otherwise.

A sealed token is stored as `fernet:` + the Fernet token, so a row says how to open it: a
database written without a key keeps working once a key is set (its tokens are sealed on the
next install), and a sealed token with no key, or the wrong one, is a clear error.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

SEALED = "fernet:"


class SecretKeyError(RuntimeError):
    """The stored tokens cannot be opened with TALLYBOT_SECRET_KEY (missing or not the one)."""


class TokenCipher:
    def __init__(self, key: str | None) -> None:
        self._fernet = Fernet(key.encode()) if key else None

    @property
    def encrypts(self) -> bool:
        return self._fernet is not None

    def seal(self, token: str) -> str:
        if self._fernet is None:
            return token
        return SEALED + self._fernet.encrypt(token.encode()).decode()

    def open(self, stored: str) -> str:
        if not stored.startswith(SEALED):
            return stored
        if self._fernet is None:
            raise SecretKeyError(
                "The Slack tokens in the database are encrypted but TALLYBOT_SECRET_KEY is not "
                "set: set the key they were encrypted with."
            )
        try:
            return self._fernet.decrypt(stored[len(SEALED) :].encode()).decode()
        except InvalidToken:
            raise SecretKeyError(
                "TALLYBOT_SECRET_KEY does not open the Slack tokens in the database: it is not "
                "the key they were encrypted with: restore that key."
            ) from None
