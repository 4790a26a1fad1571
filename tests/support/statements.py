"""Counting the SQL statements a block of code sends: how a test pins a round-trip budget."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession


@contextmanager
def counted_statements(session: AsyncSession) -> Iterator[list[str]]:
    """Every SQL statement the session's engine sends while the block runs."""
    engine = session.bind.sync_engine if session.bind is not None else None
    assert engine is not None
    sent: list[str] = []

    def record(*args: Any) -> None:
        sent.append(args[2])

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def tables_written(sent: list[str]) -> list[str]:
    """The table each INSERT or UPDATE of `sent` writes, in order (other statements left out)."""
    written = []
    for statement in sent:
        words = statement.split()
        if words[0].upper() == "INSERT":
            written.append(words[2])
        elif words[0].upper() == "UPDATE":
            written.append(words[1])
    return written
