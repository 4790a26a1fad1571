"""What production refuses to start with: start-up is the cheapest place to catch it.

A weak JWT secret lets anyone who guesses it mint an admin's token (and a weak MFA key
opens every authenticator secret in a copy of the database); fast password hashing
makes a leaked user table cheap to crack; a missing database or Redis URL silently falls
back to the embedded SQLite file and in-process broker, one per pod. Each refusal is one
line naming the variable and never echoes a secret.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 96
"""An estimate from the secret's own character frequencies: 32 random hex digits score about
115, `passwordpassword...` under 90, so a repeated word is refused while any random secret of
the minimum length passes."""


def estimated_bits(secret: str) -> float:
    """Shannon entropy of the secret's bytes times its length: a cheap upper bound on how
    much guessing it takes, low for repeats and small alphabets."""
    data = secret.encode()
    counts = Counter(data)
    return -sum(n * math.log2(n / len(data)) for n in counts.values())


def jwt_secret_weakness(secret: str, development_default: str) -> str | None:
    """Why `secret` may not sign production tokens, or None."""
    if development_default.lower() in secret.lower():
        return "contains the development default; production needs a secret of its own"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    if estimated_bits(secret) < MIN_SECRET_BITS:
        return "has too little entropy (repeated or few distinct characters)"
    return None


def production_refusal(
    environ: Mapping[str, str],
    *,
    required: tuple[str, ...],
    jwt_secret: str,
    development_secret: str,
    password_hash_fast: bool,
    mfa_encryption_key: str = "",
) -> str | None:
    """The one-line reason production may not start with these settings, or None (the
    secret is judged first: it is the refusal that matters most)."""
    missing = [name for name in required if not environ.get(name, "").strip()]
    if "JWT_SECRET" in missing:
        return "missing JWT_SECRET: production needs it set"
    weakness = jwt_secret_weakness(jwt_secret, development_secret)
    if weakness is not None:
        return f"invalid JWT_SECRET: the secret {weakness}"
    if missing:
        return f"missing {missing[0]}: production needs it set"
    weakness = jwt_secret_weakness(mfa_encryption_key, development_secret)
    if weakness is not None:
        return f"invalid MFA_ENCRYPTION_KEY: the secret {weakness}"
    if mfa_encryption_key == jwt_secret:
        return "invalid MFA_ENCRYPTION_KEY: it must differ from JWT_SECRET"
    if password_hash_fast:
        return "invalid PASSWORD_HASH_FAST: fast password hashing is for tests only"
    return None
