from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from app.schemas.common import Email, Password, PersonName
from domain.roles import Role
from domain.text import Text

LoginPassword = Annotated[Text, msgspec.Meta(max_length=1024)]
"""What a login accepts: any string a password might have been, so that a wrong guess is
always `invalid_credentials` (never a validation error telling the rules); bounded only so
that nobody makes the server hash megabytes."""


class RegisterRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    full_name: PersonName


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: LoginPassword


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True):
    current_password: LoginPassword
    new_password: Password


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: str = msgspec.field()


class CreateUserRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    full_name: PersonName
    role: Role


class UserOut(msgspec.Struct):
    id: int
    email: str
    full_name: str
    role: str
    is_active: bool
    created_at: datetime


class TokenPair(msgspec.Struct):
    access_token: str
    refresh_token: str
    token_type: str
    expires_at: datetime
    user: UserOut
