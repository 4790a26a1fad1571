"""Which passwords a new account may have: the rules of NIST SP 800-63B, section 5.1.1.2.

Length is what makes a password strong, and composition rules (a digit, a capital) only
make people write `Password1!`; so the rules are a minimum and a generous maximum length,
and a refusal of passwords an attacker tries first: the most common ones, the account's own
email, and nothing but whitespace. Pure: the list of common passwords is handed in by the
application, which loads it.
"""

from __future__ import annotations

from collections.abc import Container

MIN_LENGTH = 8
MAX_LENGTH = 128


def password_weakness(password: str, *, email: str, common: Container[str]) -> str | None:
    """Why `password` may not be used for the account `email`, or None when it may.

    Comparisons ignore case and surrounding whitespace: `Password ` is as guessable as
    `password`. The reason is a sentence fragment meant for the person choosing it.
    """
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if not password.strip():
        return "must not be only whitespace"
    folded = password.strip().lower()
    address = email.strip().lower()
    local_part = address.partition("@")[0]
    if folded in {address, local_part}:
        return "must not be the email address or its name part"
    if folded in common:
        return "is one of the most commonly used passwords"
    return None
