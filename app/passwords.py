"""The password policy as the application applies it: the domain rule plus its word list.

The list (`data/common_passwords.txt`, lowercase, one per line) holds the most frequently
used passwords at least `MIN_LENGTH` long, shorter ones being refused by length anyway. It
ships inside the package so that an installed server needs no file of its own.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from domain.errors import Invalid
from domain.passwords import password_weakness

WORD_LIST = "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """Read once per process (a few thousand words, well under a megabyte)."""
    text = resources.files("app").joinpath("data", WORD_LIST).read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_new_password(password: str, email: str) -> None:
    """Refuse a password a new account may not have: 400 `weak_password`, saying why."""
    reason = password_weakness(password, email=email, common=common_passwords())
    if reason is not None:
        raise Invalid("weak_password", f"the password {reason}")
