"""Settings read once from environment variables, with embedded defaults.

Every knob lives in this package so that the README, the Kubernetes ConfigMap and the tests
can all enumerate the same list (`Settings.env_names()`). A malformed value stops start-up
with ONE line naming the variable, because a stack trace from deep inside a driver is a poor
way to learn that a port number had a typo.

The settings are declared by concern, one module each (`database`, `security`, `limits`,
`live`, `server`, `observability`, `operations`, `pricing`, `retention`; how a setting is
declared and parsed is in `parsing`); `Settings` is all of them in one flat, frozen value,
so every caller reads `settings.redis_url` whichever group declares it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Any

from app.production import production_refusal
from app.settings.database import DatabaseSettings
from app.settings.limits import LimitSettings
from app.settings.live import LiveSettings
from app.settings.observability import ObservabilitySettings
from app.settings.operations import OperationsSettings
from app.settings.parsing import SettingsError
from app.settings.pricing import PricingSettings
from app.settings.retention import RetentionSettings
from app.settings.security import DEFAULT_JWT_SECRET, REQUIRED_IN_PRODUCTION, SecuritySettings
from app.settings.server import ServerSettings

__all__ = ["DEFAULT_JWT_SECRET", "REQUIRED_IN_PRODUCTION", "Settings", "SettingsError"]


# A dataclass lists the fields of its bases from the last base to the first: the groups are
# written in reverse so that `documentation()` lists security and the stores first.
@dataclasses.dataclass(frozen=True)
class Settings(
    RetentionSettings,
    PricingSettings,
    OperationsSettings,
    LiveSettings,
    LimitSettings,
    ObservabilitySettings,
    ServerSettings,
    DatabaseSettings,
    SecuritySettings,
):
    """The application's configuration; build it with `Settings.from_env()`."""

    @classmethod
    def env_names(cls) -> tuple[str, ...]:
        """Every environment variable the application reads."""
        return tuple(field.metadata["env"] for field in dataclasses.fields(cls))

    @classmethod
    def documentation(cls) -> list[tuple[str, str, str]]:
        """(variable, default, meaning) of every setting: the README and `washline settings`."""
        return [
            (f.metadata["env"], f.metadata["raw"], f.metadata["doc"])
            for f in dataclasses.fields(cls)
        ]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Parse the environment; raise SettingsError naming the first bad variable."""
        source = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = field.metadata["env"]
            if name not in source:
                continue
            try:
                values[field.name] = field.metadata["parse"](source[name])
            except ValueError as exc:
                raise SettingsError(f"invalid {name}={source[name]!r}: {exc}") from None
        settings = cls(**values)
        if settings.environment == "production":
            refusal = production_refusal(
                source,
                required=REQUIRED_IN_PRODUCTION,
                jwt_secret=settings.jwt_secret,
                mfa_encryption_key=settings.mfa_encryption_key,
                development_secret=DEFAULT_JWT_SECRET,
                password_hash_fast=settings.password_hash_fast,
            )
            if refusal is not None:
                raise SettingsError(refusal)
        return settings
