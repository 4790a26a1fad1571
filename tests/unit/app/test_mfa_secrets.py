"""Authenticator secrets sealed at rest: only the key that sealed a secret opens it, a
secret stored in the clear before still opens, and a sealed secret fits its column."""

from __future__ import annotations

import pytest
from cryptography.fernet import InvalidToken

from app.mfa_secrets import SEALED_PREFIX, SecretBox, is_sealed, key_material, secret_box
from app.settings import Settings
from domain.mfa import new_secret

SECRET_COLUMN_LENGTH = 255  # persistence.models.TotpFactor.secret


def test_a_sealed_secret_opens_to_itself_and_does_not_show_it() -> None:
    box = SecretBox("k" * 40)
    secret = new_secret()
    sealed = box.seal(secret)
    assert is_sealed(sealed) and sealed.startswith(SEALED_PREFIX)
    assert secret not in sealed
    assert box.open(sealed) == secret


def test_sealing_twice_gives_different_texts() -> None:
    box = SecretBox("k" * 40)
    assert box.seal("JBSWY3DPEHPK3PXP") != box.seal("JBSWY3DPEHPK3PXP")


def test_another_key_cannot_open_it() -> None:
    sealed = SecretBox("k" * 40).seal(new_secret())
    with pytest.raises(InvalidToken):
        SecretBox("l" * 40).open(sealed)


def test_a_tampered_secret_does_not_open() -> None:
    box = SecretBox("k" * 40)
    sealed = box.seal(new_secret())
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(InvalidToken):
        box.open(flipped)


def test_a_secret_stored_in_the_clear_still_opens() -> None:
    assert SecretBox("k" * 40).open("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"
    assert not is_sealed("JBSWY3DPEHPK3PXP")


def test_a_sealed_secret_fits_its_column() -> None:
    assert len(SecretBox("k" * 40).seal(new_secret())) <= SECRET_COLUMN_LENGTH


def test_the_key_is_the_configured_one_else_derived_from_the_jwt_secret() -> None:
    configured = Settings(environment="test", mfa_encryption_key="m" * 40)
    derived = Settings(environment="test", jwt_secret="j" * 40)
    assert key_material(configured) == "m" * 40
    assert key_material(derived) != derived.jwt_secret  # a separate key, not the same secret
    assert "j" * 40 in key_material(derived)


def test_boxes_of_one_key_open_each_others_secrets() -> None:
    settings = Settings(environment="test", mfa_encryption_key="m" * 40)
    sealed = secret_box(settings).seal("JBSWY3DPEHPK3PXP")
    assert SecretBox("m" * 40).open(sealed) == "JBSWY3DPEHPK3PXP"
    assert secret_box(settings) is secret_box(settings)
    other = Settings(environment="test", mfa_encryption_key="n" * 40)
    with pytest.raises(InvalidToken):
        secret_box(other).open(sealed)
