"""Users and API tokens.

A token is ``qhpc_<id>_<secret>``: ``id`` is public (``qhpc admin token revoke ID`` names it) and
``secret`` holds 256 random bits. Only the SHA-256 of the whole token is stored, and the token is
shown once, when it is created. High-entropy secrets need no slow password hash: a stolen table
of hashes does not give the tokens back. Checking compares hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import QhpcError
from .db import Database
from .models import TOKENS, USERS

Tk = TOKENS.c
Us = USERS.c

TOKEN_PREFIX = "qhpc_"
_TOKEN = re.compile(r"^qhpc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Principal:
    """Who a request acts for."""

    user_id: int
    name: str
    is_admin: bool
    token_id: str
    expires_at: float | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Users:
    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, name: str, *, admin: bool = False) -> dict[str, Any]:
        if not _NAME.match(name):
            raise QhpcError(f"{name!r} is not a valid user name (a letter, then letters, digits, '.', '_' or '-', "
                            "at most 64)")
        try:
            with self.db.write() as conn:
                conn.execute(insert(USERS).values(name=name, is_admin=admin, disabled=False, created_at=time.time()))
        except IntegrityError:
            raise QhpcError(f"user {name} exists already") from None
        return self.get(name)

    def get(self, name: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(USERS).where(Us.name == name)).mappings().first()
        if row is None:
            raise QhpcError(f"no user {name!r} (add one with: qhpc admin user add {name})")
        return dict(row)

    def all(self) -> list[dict[str, Any]]:
        with self.db.read() as conn:
            rows = conn.execute(select(USERS).order_by(Us.id)).mappings().all()
            active: dict[int, int] = dict(conn.execute(select(Tk.user_id, func.count()).where(Tk.revoked_at.is_(None))
                                       .group_by(Tk.user_id)).all())
        return [{**dict(r), "tokens": active.get(r["id"], 0)} for r in rows]

    def set_disabled(self, name: str, disabled: bool) -> None:
        user = self.get(name)
        with self.db.write() as conn:
            conn.execute(update(USERS).where(Us.id == user["id"]).values(disabled=disabled))

    # -- tokens -------------------------------------------------------------------------------
    def create_token(self, name: str, *, expires_days: float | None = None) -> tuple[str, str]:
        """A new token for user ``name``: (its public id, the token itself, shown only now)."""
        if expires_days is not None and not expires_days > 0:
            raise QhpcError(f"--expires must be a positive number of days, not {expires_days!r}")
        user = self.get(name)
        token_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
        now = time.time()
        with self.db.write() as conn:
            conn.execute(insert(TOKENS).values(
                id=token_id, user_id=user["id"], hash=token_hash(token), created_at=now,
                expires_at=None if expires_days is None else now + expires_days * 86400.0, revoked_at=None))
        return token_id, token

    def revoke_token(self, token_id: str) -> None:
        with self.db.write() as conn:
            done = conn.execute(update(TOKENS).where(Tk.id == token_id, Tk.revoked_at.is_(None))
                                .values(revoked_at=time.time()))
            if done.rowcount != 1:
                exists = conn.execute(select(Tk.id).where(Tk.id == token_id)).first()
                raise QhpcError(f"token {token_id} is revoked already" if exists else f"no token {token_id!r}")

    def tokens(self, name: str | None = None) -> list[dict[str, Any]]:
        query = select(Tk.id, Us.name.label("user"), Tk.created_at, Tk.expires_at, Tk.revoked_at) \
            .join(USERS, Us.id == Tk.user_id).order_by(Tk.created_at)
        if name is not None:
            query = query.where(Us.name == name)
        with self.db.read() as conn:
            return [dict(r) for r in conn.execute(query).mappings().all()]

    def authenticate(self, token: str, now: float | None = None) -> Principal | None:
        """The principal a token stands for, or ``None`` (unknown, wrong, revoked, expired, disabled)."""
        match = _TOKEN.match(token)
        if match is None:
            return None
        query = select(Tk.hash, Tk.expires_at, Tk.revoked_at, Us.id, Us.name, Us.is_admin,
                       Us.disabled).join(USERS, Us.id == Tk.user_id).where(Tk.id == match.group(1))
        with self.db.read() as conn:
            row = conn.execute(query).first()
        if row is None or not hmac.compare_digest(row.hash, token_hash(token)):
            return None
        now = time.time() if now is None else now
        if row.revoked_at is not None or row.disabled or (row.expires_at is not None and row.expires_at <= now):
            return None
        return Principal(int(row.id), row.name, bool(row.is_admin), match.group(1), row.expires_at)
