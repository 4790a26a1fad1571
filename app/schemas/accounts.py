from __future__ import annotations

from datetime import datetime

import msgspec

from app.schemas.common import Email, Password, PersonName
from domain.roles import Role


class RegisterRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password
    full_name: PersonName


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: Email
    password: Password


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
