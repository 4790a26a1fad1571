"""Authenticator secrets are stored encrypted: a copy of the database (a backup, a replica, a
support dump) must not let anyone generate an account's codes.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under a key derived from
`MFA_ENCRYPTION_KEY` (SHA-256 of it, so any secret of 32 random bytes or more will do, as for
`JWT_SECRET`); outside production, when it is not set, from `JWT_SECRET`. A sealed secret is
stored as `f1:<token>`. A secret stored in the clear before (it has no prefix) still opens,
and `seal_stored_secrets` encrypts every such row when a process starts.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging

from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.settings import Settings
from persistence.mfa import replace_secret, stored_secrets

log = logging.getLogger(__name__)

SEALED_PREFIX = "f1:"


class SecretBox:
    """Seals and opens authenticator secrets with one key."""

    def __init__(self, key_material: str) -> None:
        digest = hashlib.sha256(key_material.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(digest))

    def seal(self, secret: str) -> str:
        return SEALED_PREFIX + self._fernet.encrypt(secret.encode()).decode()

    def open(self, stored: str) -> str:
        """The secret; raises `cryptography.fernet.InvalidToken` under another key."""
        if not is_sealed(stored):
            return stored  # stored in the clear before secrets were sealed
        return self._fernet.decrypt(stored[len(SEALED_PREFIX) :].encode()).decode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


def key_material(settings: Settings) -> str:
    """`MFA_ENCRYPTION_KEY`, or (development and tests only) one derived from `JWT_SECRET`."""
    return settings.mfa_encryption_key or "washline-mfa:" + settings.jwt_secret


@functools.lru_cache(maxsize=4)
def _box(material: str) -> SecretBox:
    return SecretBox(material)


def secret_box(settings: Settings) -> SecretBox:
    return _box(key_material(settings))


async def seal_stored_secrets(
    session_factory: async_sessionmaker[AsyncSession], box: SecretBox
) -> int:
    """Encrypt every secret still stored in the clear; how many. Each row is rewritten only
    if it is unchanged, so processes starting together do it once."""
    sealed = 0
    async with session_factory() as session:
        for factor_id, stored in await stored_secrets(session):
            if is_sealed(stored):
                continue
            sealed += await replace_secret(session, factor_id, stored, box.seal(stored))
        await session.commit()
    if sealed:
        log.info("sealed %d authenticator secrets stored in the clear", sealed)
    return sealed
