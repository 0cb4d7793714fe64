"""Passwords (argon2), opaque bearer tokens and ID numbers (only their SHA-256 is stored)."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
# Verified against when the user does not exist, so timing does not reveal usernames.
_DUMMY_HASH = _HASHER.hash("xuanpin-dummy-password")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return "xp_" + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def id_number_digest(normalised_id_number: str) -> str:
    """The key linking a candidate's account to their applications (X-03); the number itself
    stays in the instance data only."""
    return hashlib.sha256(f"xuanpin-id:{normalised_id_number}".encode()).hexdigest()
