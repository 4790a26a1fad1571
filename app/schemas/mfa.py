"""Second-factor enrolment and the second step of a login."""

from __future__ import annotations

from typing import Annotated

import msgspec

MfaCode = Annotated[
    str,
    msgspec.Meta(
        min_length=6,
        max_length=16,
        pattern=r"^[0-9a-fA-F-]+$",
        description="6 digits from the authenticator app, or a recovery code (xxxxx-xxxxx)",
    ),
]


class TotpEnrolIn(msgspec.Struct, forbid_unknown_fields=True):
    password: Annotated[
        str,
        msgspec.Meta(
            min_length=1,
            max_length=128,
            description="the account's password: a stolen access token alone cannot enrol",
        ),
    ]


class MfaCodeIn(msgspec.Struct, forbid_unknown_fields=True):
    code: MfaCode


class MfaLoginIn(msgspec.Struct, forbid_unknown_fields=True):
    mfa_token: Annotated[
        str,
        msgspec.Meta(
            min_length=1, max_length=2048, description="from the login's `mfa_required` answer"
        ),
    ]
    code: MfaCode


class MfaStatusOut(msgspec.Struct):
    enabled: Annotated[bool, msgspec.Meta(description="logins ask for a second factor")]
    recovery_codes_left: int


class TotpEnrolmentOut(msgspec.Struct):
    secret: Annotated[str, msgspec.Meta(description="base32, for typing into an app by hand")]
    otpauth_uri: Annotated[str, msgspec.Meta(description="show as a QR code to the app")]


class RecoveryCodesOut(msgspec.Struct):
    recovery_codes: Annotated[
        list[str],
        msgspec.Meta(description="each works once in place of a code; shown only this once"),
    ]
