"""Revision 0004 gives refresh tokens issued before it a family of their own."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from persistence.database import create_engine
from persistence.migrate import downgrade, upgrade

INSERT_USER = (
    "INSERT INTO user_account (id, email, password_hash, full_name, role, is_active, "
    "created_at, updated_at) VALUES (1, 'a@example.test', 'x', 'A', 'customer', 1, "
    "'2026-01-01', '2026-01-01')"
)
INSERT_TOKEN = (
    "INSERT INTO refresh_token (user_id, token_hash, expires_at, created_at, updated_at) "
    "VALUES (1, :hash, '2027-01-01', '2026-01-01', '2026-01-01')"
)


async def _execute(url: str, *statements: tuple[str, dict[str, str]]) -> list[str]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        for statement, params in statements:
            await connection.execute(text(statement), params)
        families: list[str] = []
        if not statements:
            rows = await connection.execute(text("SELECT family_id FROM refresh_token"))
            families = [row[0] for row in rows]
    await engine.dispose()
    return families


def test_tokens_from_before_the_family_column_each_get_a_family(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/families.db"
    upgrade(url, "0003")
    asyncio.run(
        _execute(
            url, (INSERT_USER, {}), (INSERT_TOKEN, {"hash": "a"}), (INSERT_TOKEN, {"hash": "b"})
        )
    )
    upgrade(url)
    families = asyncio.run(_execute(url))
    assert len(families) == 2
    assert all(families) and len(set(families)) == 2
    downgrade(url, "0003")
    upgrade(url)
