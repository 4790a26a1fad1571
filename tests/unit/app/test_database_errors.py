"""A connection lost mid-query is the database restarting (503), whatever class the driver
error arrives as; any other driver error stays a 500."""

from __future__ import annotations

from asyncpg.exceptions import CannotConnectNowError, ConnectionDoesNotExistError, DataError
from sqlalchemy.exc import DBAPIError

from persistence.database import lost_connection


def _translated(cause: Exception) -> DBAPIError:
    """What SQLAlchemy's asyncpg dialect raises for a driver error it has no class for: its
    own adapter error, caused by asyncpg's, wrapped in a bare DBAPIError."""
    adapted = Exception(str(cause))
    adapted.__cause__ = cause
    return DBAPIError("SELECT 1", {}, adapted)


def test_a_connection_closed_mid_query_is_a_lost_connection() -> None:
    error = _translated(ConnectionDoesNotExistError("connection was closed in the middle"))
    assert lost_connection(error)


def test_a_server_still_starting_is_a_lost_connection() -> None:
    error = _translated(CannotConnectNowError("the database system is not yet accepting"))
    assert lost_connection(error)


def test_an_invalidated_connection_is_a_lost_connection() -> None:
    assert lost_connection(DBAPIError("SELECT 1", {}, Exception("?"), connection_invalidated=True))


def test_any_other_driver_error_is_not() -> None:
    assert not lost_connection(_translated(DataError("invalid input")))
    assert not lost_connection(DBAPIError("SELECT 1", {}, Exception("?")))
