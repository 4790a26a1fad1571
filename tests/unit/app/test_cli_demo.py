"""`washline run`'s demo settings: the simulated city must not lock the admin out."""

from __future__ import annotations

from app.cli import DEMO_LOGIN_RATE_LIMIT_PER_MINUTE, demo_overrides, settings_table
from app.settings import Settings


def test_the_simulated_city_gets_a_login_limit_it_cannot_use_up() -> None:
    overrides = demo_overrides({}, simulate=True)
    limit = int(overrides["AUTH_RATE_LIMIT_PER_MINUTE"])
    assert limit == DEMO_LOGIN_RATE_LIMIT_PER_MINUTE
    assert limit > Settings().auth_rate_limit_per_minute
    assert Settings.from_env(overrides).auth_rate_limit_per_minute == limit


def test_a_limit_the_user_chose_is_kept() -> None:
    assert demo_overrides({"AUTH_RATE_LIMIT_PER_MINUTE": "20"}, simulate=True) == {}


def test_without_the_simulator_nothing_changes() -> None:
    assert demo_overrides({}, simulate=False) == {}


def test_settings_are_listed_in_two_aligned_columns() -> None:
    documentation = Settings.documentation()
    lines = settings_table(documentation)
    assert len(lines) == len(documentation)
    columns = {line.index(doc) for line, (_, _, doc) in zip(lines, documentation, strict=True)}
    assert len(columns) == 1  # every meaning starts in the same column
    longest = max(len(f"{name}={default}") for name, default, _ in documentation)
    assert columns == {longest + 2}
    assert any(line.startswith("CURRENCY=USD ") for line in lines)
