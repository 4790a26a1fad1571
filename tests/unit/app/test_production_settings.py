"""Production refuses to start weakly configured: one line naming the variable, no secret."""

from __future__ import annotations

import subprocess
import sys

import pytest

from app.production import jwt_secret_weakness
from app.settings import DEFAULT_JWT_SECRET, Settings, SettingsError

STRONG_SECRET = "k3Vq9-ZpL2xR7mWc_T4sYb8NdHf6GjAe"
PRODUCTION = {
    "WASHLINE_ENV": "production",
    "DATABASE_URL": "postgresql+asyncpg://washline@db/washline",
    "REDIS_URL": "redis://redis:6379/0",
    "JWT_SECRET": STRONG_SECRET,
    "MFA_ENCRYPTION_KEY": "Qw7-tN2xV9rLp4Kz_M8cHs3Yd6FbJgUe",
}


def refusal(**changes: str | None) -> str:
    environ = {**PRODUCTION, **changes}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({k: v for k, v in environ.items() if v is not None})
    message = str(refused.value)
    assert "\n" not in message
    return message


def test_a_complete_strong_production_configuration_starts() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.environment == "production"
    assert settings.jwt_secret == STRONG_SECRET


@pytest.mark.parametrize(
    "secret",
    [
        "secret",
        "x" * 31,
        DEFAULT_JWT_SECRET,
        DEFAULT_JWT_SECRET + " ",
        " " + DEFAULT_JWT_SECRET.upper() + "-prod",
        "a" * 64,
        "ab" * 32,
        "passwordpasswordpasswordpassword",
    ],
    ids=["short", "31-bytes", "default", "default+space", "default-inside", "one", "two", "word"],
)
def test_a_weak_jwt_secret_is_refused(secret: str) -> None:
    message = refusal(JWT_SECRET=secret)
    assert message.startswith("invalid JWT_SECRET:")
    assert repr(secret) not in message and repr(secret.strip()) not in message


@pytest.mark.parametrize("name", ["DATABASE_URL", "REDIS_URL", "JWT_SECRET", "MFA_ENCRYPTION_KEY"])
@pytest.mark.parametrize("value", [None, "", "  "], ids=["unset", "empty", "blank"])
def test_a_missing_required_setting_is_named(name: str, value: str | None) -> None:
    message = refusal(**{name: value})
    assert message.startswith((f"missing {name}:", f"invalid {name}="))


def test_fast_password_hashing_is_refused() -> None:
    assert refusal(PASSWORD_HASH_FAST="true").startswith("invalid PASSWORD_HASH_FAST")


def test_development_and_test_keep_their_conveniences() -> None:
    for environment in ("development", "test"):
        settings = Settings.from_env(
            {"WASHLINE_ENV": environment, "JWT_SECRET": "secret", "PASSWORD_HASH_FAST": "true"}
        )
        assert settings.password_hash_fast


@pytest.mark.parametrize(
    "secret",
    [
        STRONG_SECRET,
        "0f3c9a7e51b2d84c6a0e9f17b3d5c2a8",
        "dev-only-jwt-secret-not-for-production-5f1c2a9e",
    ],
)
def test_a_random_looking_secret_of_32_bytes_passes(secret: str) -> None:
    assert jwt_secret_weakness(secret, DEFAULT_JWT_SECRET) is None


def test_the_server_refuses_to_start_with_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "current"],
        env={**PRODUCTION, "JWT_SECRET": "secret", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "washline: invalid JWT_SECRET: the secret is shorter than 32 bytes"
    ]


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("x7Kq2", "the secret is shorter than 32 bytes"),
        (DEFAULT_JWT_SECRET + "-mfa", "the secret contains the development default"),
        (STRONG_SECRET, "it must differ from JWT_SECRET"),
    ],
)
def test_a_weak_or_reused_mfa_key_is_refused(key: str, why: str) -> None:
    message = refusal(MFA_ENCRYPTION_KEY=key)
    assert message.startswith("invalid MFA_ENCRYPTION_KEY: ")
    assert why.split(" ", 2)[-1] in message
    assert key not in message
