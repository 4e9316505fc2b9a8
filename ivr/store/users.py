"""`UserStore`: staff users, their API tokens and browser sessions, in SQL.

Rules:
- A token is `secrets.token_urlsafe(32)`, returned once by `add_user` and stored only as its
  sha256 hex digest. `verify` hashes what it is given, looks the digest up, and compares the
  stored digest with `hmac.compare_digest` (the lookup is by an unguessable digest, so timing
  says nothing about a token's prefix).
- A browser session (`create_session`) is another random secret with an expiry; the cookie
  carries it, the table its digest. Revoking a user drops its sessions and its token at once.
- Names, roles and agent ids are checked here (`UserError` says what is wrong); tokens,
  session ids and their digests are never logged.
- The four roles (`ROLES`) and `ApiUser` (who a verified token or session is) are defined here;
  `ivr.web.auth` decides what each role may do. Roles do not imply each other.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Self

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from ivr.errors import IvrError
from ivr.store.engine import open_engine
from ivr.store.users_model import SessionRow, UserRow

log = logging.getLogger(__name__)

ROLE_AGENT: Final = "agent"
ROLE_SUPERVISOR: Final = "supervisor"
ROLE_ADMIN: Final = "admin"
ROLE_COMPLIANCE: Final = "compliance"
ROLES: Final = frozenset({ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN, ROLE_COMPLIANCE})

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
AGENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SESSION_TTL_S = 12 * 3600.0


class UserError(IvrError):
    """A user cannot be added or changed as asked; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ApiUser:
    """An authenticated staff user. `agent_id` links an agent user to its queue agent."""

    name: str
    roles: frozenset[str]
    agent_id: str | None = None

    def has_any(self, roles: frozenset[str]) -> bool:
        return bool(self.roles & roles)


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user as listed (never its token)."""

    name: str
    roles: frozenset[str]
    agent_id: str | None
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_user(name: str, roles: Iterable[str], agent_id: str | None) -> frozenset[str]:
    """The roles as a set, if name/roles/agent_id make a valid user; else UserError."""
    if not NAME_PATTERN.match(name):
        raise UserError(
            f"user name {name!r} is not valid: use 1-64 letters, digits, '_', '.', '@' or '-'"
        )
    wanted = frozenset(roles)
    unknown = sorted(wanted - ROLES)
    if unknown or not wanted:
        problem = f"unknown role '{unknown[0]}'" if unknown else "no role given"
        raise UserError(f"{problem}: choose from {', '.join(sorted(ROLES))}")
    if agent_id is not None and not AGENT_ID_PATTERN.match(agent_id):
        raise UserError(f"agent id {agent_id!r} is not valid: use letters, digits, '_', '.', '-'")
    if ROLE_AGENT in wanted and agent_id is None:
        raise UserError("a user with role 'agent' needs --agent-id (the queue agent it works as)")
    return wanted


def _roles_text(roles: frozenset[str]) -> str:
    return " ".join(sorted(roles))


def _roles_of(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _info(row: UserRow) -> UserInfo:
    return UserInfo(row.name, _roles_of(row.roles), row.agent_id, row.created_at, row.revoked_at)


def _api_user(row: UserRow) -> ApiUser:
    return ApiUser(row.name, _roles_of(row.roles), row.agent_id)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class UserStore:
    """Users, tokens and sessions over an AsyncEngine. `await UserStore.open(url)`."""

    def __init__(self, engine: AsyncEngine, *, now: Callable[[], datetime] = _utcnow) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._now = now

    @classmethod
    async def open(
        cls, url: str, *, migrate: bool = True, now: Callable[[], datetime] = _utcnow
    ) -> Self:
        """Connect to `url` and (by default) migrate the schema to the newest revision."""
        return cls(await open_engine(url, migrate=migrate), now=now)

    async def close(self) -> None:
        await self.engine.dispose()

    # -- users -----------------------------------------------------------------------------
    async def add_user(self, name: str, roles: Iterable[str], agent_id: str | None = None) -> str:
        """Create a user (or re-create a revoked one); returns its token, shown only once."""
        wanted = check_user(name, roles, agent_id)
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as db:
            row = await db.get(UserRow, name)
            if row is not None and row.revoked_at is None:
                raise UserError(f"user '{name}' exists; revoke it first to issue a new token")
            if row is None:
                row = UserRow(name=name)
                db.add(row)
            row.roles, row.agent_id = _roles_text(wanted), agent_id
            row.token_sha256, row.created_at, row.revoked_at = (
                token_digest(token),
                self._now(),
                None,
            )
        log.info("user added name=%s roles=%s", name, _roles_text(wanted))
        return token

    async def list_users(self, *, include_revoked: bool = False) -> list[UserInfo]:
        """Users ordered by name; revoked ones only with `include_revoked`."""
        query = select(UserRow).order_by(UserRow.name)
        if not include_revoked:
            query = query.where(UserRow.revoked_at.is_(None))
        async with self._sessions() as db:
            return [_info(row) for row in (await db.scalars(query)).all()]

    async def get_user(self, name: str) -> UserInfo | None:
        async with self._sessions() as db:
            row = await db.get(UserRow, name)
        return None if row is None else _info(row)

    async def revoke(self, name: str) -> bool:
        """Revoke a user's token and end its sessions; False if no active user `name`."""
        async with self._sessions.begin() as db:
            row = await db.get(UserRow, name)
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at, row.token_sha256 = self._now(), None
            await db.execute(delete(SessionRow).where(SessionRow.user_name == name))
        log.info("user revoked name=%s", name)
        return True

    async def verify(self, token: str) -> ApiUser | None:
        """The active user holding `token`, or None."""
        digest = token_digest(token)
        async with self._sessions() as db:
            row = await db.scalar(select(UserRow).where(UserRow.token_sha256 == digest))
        if row is None or row.token_sha256 is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_sha256, digest):
            return None
        return _api_user(row)

    # -- browser sessions ------------------------------------------------------------------
    async def create_session(self, name: str, *, ttl_s: float = SESSION_TTL_S) -> str:
        """A new session secret for active user `name` (for the HttpOnly cookie)."""
        session = secrets.token_urlsafe(32)
        now = self._now()
        try:
            async with self._sessions.begin() as db:
                row = await db.get(UserRow, name)
                if row is None or row.revoked_at is not None:
                    raise UserError(f"no active user '{name}'")
                db.add(
                    SessionRow(
                        session_sha256=token_digest(session),
                        user_name=name,
                        created_at=now,
                        expires_at=now + timedelta(seconds=ttl_s),
                    )
                )
        except IntegrityError:  # pragma: no cover - a 256-bit collision
            raise UserError("could not create a session; try again") from None
        return session

    async def verify_session(self, session_token: str) -> ApiUser | None:
        """The active user of an unexpired session, or None."""
        digest = token_digest(session_token)
        async with self._sessions() as db:
            found = (
                await db.execute(
                    select(SessionRow, UserRow)
                    .join(UserRow, UserRow.name == SessionRow.user_name)
                    .where(SessionRow.session_sha256 == digest)
                )
            ).first()
        if found is None:
            return None
        session, user = found
        if session.expires_at <= self._now() or user.revoked_at is not None:
            return None
        if not hmac.compare_digest(session.session_sha256, digest):
            return None
        return _api_user(user)

    async def end_session(self, session_token: str) -> None:
        """Forget a session (logout); unknown sessions are ignored."""
        digest = token_digest(session_token)
        async with self._sessions.begin() as db:
            await db.execute(delete(SessionRow).where(SessionRow.session_sha256 == digest))
