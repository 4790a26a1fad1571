"""Who may call and how they prove it: the environment (production refuses weak secrets),
token secrets and lifetimes, password hashing, the admins' second factor, CORS and the
proxies whose `X-Forwarded-For` is believed."""

from __future__ import annotations

import dataclasses
import ipaddress

from app.settings.parsing import parse_boolean, parse_choice, parse_csv, parse_positive_int, setting

DEFAULT_JWT_SECRET = "washline-development-secret-change-me"
REQUIRED_IN_PRODUCTION = ("DATABASE_URL", "REDIS_URL", "JWT_SECRET", "MFA_ENCRYPTION_KEY")


def parse_networks(value: str) -> tuple[str, ...]:
    """IP addresses and CIDR networks, normalised; no wildcard, no host names."""
    try:
        return tuple(str(ipaddress.ip_network(part, strict=False)) for part in parse_csv(value))
    except ValueError:
        raise ValueError("expected comma-separated IP addresses or CIDR networks") from None


@dataclasses.dataclass(frozen=True)
class SecuritySettings:
    """The security settings of `Settings`; production checks them in `Settings.from_env`."""

    environment: str = setting(
        "WASHLINE_ENV",
        parse_choice("development", "production", "test"),
        "development",
        "development, test or production; production refuses a weak JWT secret or "
        "MFA key, fast hashing and a missing DATABASE_URL, REDIS_URL, JWT_SECRET or "
        "MFA_ENCRYPTION_KEY",
    )
    jwt_secret: str = setting(
        "JWT_SECRET",
        str,
        DEFAULT_JWT_SECRET,
        "HMAC secret signing access tokens",
    )
    mfa_encryption_key: str = setting(
        "MFA_ENCRYPTION_KEY",
        str,
        "",
        "secret (at least 32 random bytes) encrypting authenticator secrets at rest; "
        "empty: derived from JWT_SECRET (not in production)",
    )
    access_token_ttl_seconds: int = setting(
        "ACCESS_TOKEN_TTL_SECONDS",
        parse_positive_int,
        "900",
        "lifetime of an access JWT",
    )
    refresh_token_ttl_seconds: int = setting(
        "REFRESH_TOKEN_TTL_SECONDS",
        parse_positive_int,
        "2592000",
        "lifetime of a refresh token",
    )
    password_hash_fast: bool = setting(
        "PASSWORD_HASH_FAST",
        parse_boolean,
        "false",
        "cheaper argon2 parameters (tests and the simulator only; never in production)",
    )
    admin_mfa_required: str = setting(
        "ADMIN_MFA_REQUIRED",
        parse_choice("auto", "true", "false"),
        "auto",
        "admins must log in with a second factor to use admin routes; auto = in production",
    )
    cors_origins: tuple[str, ...] = setting(
        "CORS_ORIGINS",
        parse_csv,
        "",
        "comma-separated origins allowed by CORS; empty = none",
    )
    trusted_proxies: tuple[str, ...] = setting(
        "TRUSTED_PROXIES",
        parse_networks,
        "",
        "addresses or CIDRs of the proxies whose X-Forwarded-For is believed; empty = none",
    )

    @property
    def requires_admin_mfa(self) -> bool:
        if self.admin_mfa_required == "auto":
            return self.environment == "production"
        return self.admin_mfa_required == "true"
