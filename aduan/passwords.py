"""Password hashing with Argon2id (argon2-cffi's RFC 9106 low-memory profile), no Flask.

Hashes carry their own parameters, so raising the cost later only needs `needs_rehash` at the next login.
"""
from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 256  # Argon2 takes any length; a cap keeps a megabyte "password" from being a cheap DoS.
_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the e-mail is unknown, so a wrong address takes as long as a wrong password."""
    return _HASHER.hash("peta-aduan-dummy-password")


def hash_password(password: str) -> str:
    """Argon2id hash of a new password (salted; parameters embedded in the string)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown user costs the same time as a wrong password."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a stored hash was made with weaker parameters than today's."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def password_problem(password: str) -> tuple[str, str] | None:
    """Why a new password is unacceptable (id, en), or None."""
    if len(password) < MIN_LENGTH:
        return (f"Kata sandi minimal {MIN_LENGTH} karakter.", f"The password needs at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        return (f"Kata sandi maksimal {MAX_LENGTH} karakter.", f"The password may have at most {MAX_LENGTH} chars.")
    if password.strip() != password:
        return ("Kata sandi tidak boleh diawali/diakhiri spasi.", "The password must not start or end with spaces.")
    return None
