"""Second factor rules: time-based one-time passwords (RFC 6238) and recovery codes.

A code is accepted within one 30-second step either side of now (phones' clocks drift) and
only once: the step a code matched is kept, and no code of that step or an earlier one is
accepted again, so a code seen over a shoulder or in a log cannot be replayed. The clock is
passed in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

import pyotp

from domain.roles import Role

ISSUER = "Washline"
DRIFT_STEPS = 1
"""Steps either side of now whose codes are accepted."""
RECOVERY_CODE_COUNT = 10
MFA_TOKEN_TTL = timedelta(minutes=5)
"""How long a login that passed its password may wait for its second factor."""
ATTEMPTS_PER_MINUTE = 5
"""Wrong second factors one account may send per minute, from all addresses together."""
_TOTP_CODE = re.compile(r"^\d{6}$")
_RECOVERY_CODE = re.compile(r"^[0-9a-f]{5}-?[0-9a-f]{5}$")


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    """The `otpauth://` URI an authenticator app reads (usually from a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step `code` is the TOTP of, if it is within the drift and after `last_step`;
    else None."""
    if not _TOTP_CODE.match(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def lacks_required_second_factor(
    role: Role, used_second_factor: bool, *, required_for_admins: bool
) -> bool:
    """Whether a caller must still log in with a second factor before acting as who they
    are: admins, where the operator requires it, unless their login used one."""
    return required_for_admins and role is Role.ADMIN and not used_second_factor


def is_recovery_code_shaped(code: str) -> bool:
    return bool(_RECOVERY_CODE.match(code.strip().lower()))


def hash_recovery_code(code: str) -> str:
    """Recovery codes are random (40 bits), so one fast hash keeps a leaked table useless
    without the cost of a password hash per check; the dash is optional when typed."""
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()
