"""Login credentials of Keel's chat users: scrypt password hashes, never plaintext.

One row per user (login = the user's email, lower-cased). Hashes are
``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so parameters can be raised later without
invalidating stored hashes. Demo orgs get a documented shared password; real deployments
set each password with :func:`set_password`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from memory.db import UTCDateTime, utcnow
from memory.models import User

logger = logging.getLogger(__name__)

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
DEMO_PASSWORD = "keel-demo"
"""Password of every user of a seeded demo org (documented in the README)."""


class UserCredential(SQLModel, table=True):
    """A user's login and password hash."""

    __tablename__ = "user_credential"

    user_id: str = Field(primary_key=True, foreign_key="user.id")
    org_id: str = Field(index=True)
    login: str = Field(unique=True, index=True)
    password_hash: str
    updated_at: datetime = Field(sa_type=UTCDateTime)


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password``.

    Raises:
        ValueError: The password is shorter than 8 or longer than 1024 characters.
    """
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise ValueError(
            f"a password needs {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Return True if ``password`` matches ``encoded`` (constant-time comparison)."""
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt" or len(password) > MAX_PASSWORD_CHARS:
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def set_password(session: Session, *, user_id: str, password: str) -> None:
    """Create or replace the credentials of ``user_id`` (login = the user's email).

    Raises:
        LookupError: No such user.
        ValueError: The password is out of bounds, or the email is another user's login.
    """
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id!r}")
    login = user.email.strip().lower()
    query = select(UserCredential).where(UserCredential.login == login)  # type: ignore[arg-type]
    taken = session.execute(query).scalars().first()
    if taken is not None and taken.user_id != user_id:
        raise ValueError(f"login {login!r} already belongs to another user")
    row = session.get(UserCredential, user_id) or UserCredential(
        user_id=user_id, org_id=user.org_id, login=login, password_hash="", updated_at=utcnow()
    )
    row.login, row.password_hash, row.updated_at = login, hash_password(password), utcnow()
    session.add(row)
    session.flush()


def authenticate(session: Session, *, login: str, password: str) -> User | None:
    """Return the user whose login and password match, else ``None``."""
    row = (
        session.execute(
            select(UserCredential).where(UserCredential.login == login.strip().lower())  # type: ignore[arg-type]
        )
        .scalars()
        .first()
    )
    if row is None or not verify_password(password, row.password_hash):
        return None
    return session.get(User, row.user_id)


def seed_passwords(session: Session, *, org_id: str, password: str = DEMO_PASSWORD) -> int:
    """Give every user of ``org_id`` without credentials ``password``; return how many got one.

    Users whose email is already another user's login are skipped (and logged).
    """
    users = session.execute(select(User).where(User.org_id == org_id)).scalars().all()  # type: ignore[arg-type]
    have = set(session.execute(select(UserCredential.user_id)).scalars())  # type: ignore[call-overload]
    seeded = 0
    for user in users:
        if user.id in have:
            continue
        try:
            set_password(session, user_id=user.id, password=password)
        except ValueError as exc:
            logger.warning("no login for %s: %s", user.id, exc)
            continue
        seeded += 1
    return seeded


def create_auth_tables(engine: Engine) -> None:
    """Create the credentials table if missing (until ``create_schema`` imports this module)."""
    SQLModel.metadata.create_all(engine, tables=[UserCredential.__table__])  # type: ignore[attr-defined]
