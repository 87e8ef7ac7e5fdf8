"""Accounts: users, their groups (roles), password checks with lockout, and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from engine.errors import AccountError, AccountLocked, LoginFailed, UserExists, UserNotFound, WeakPassword
from engine.models import ApiToken, User, UserGroup

#: The groups the product knows; each maps to diagram lanes and candidate groups.
ROLES: tuple[str, ...] = (
    "intake_clerk",
    "coordinator",
    "case_leader",
    "case_handler",
    "supervisor",
    "leading_group",
    "designer",
    "auditor",
    "admin",
    "service_worker",
)


@dataclass(frozen=True)
class UserView:
    """A user as callers see it: never the password hash."""

    id: int
    username: str
    display_name: str | None
    groups: tuple[str, ...]
    is_active: bool
    locked_until: datetime | None
    created_at: datetime

    @property
    def label(self) -> str:
        """The name to show people: the display name if there is one."""
        return self.display_name or self.username


# scrypt parameters: about 16 MiB and a few tens of milliseconds per check.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str, *, n: int = _SCRYPT_N, r: int = _SCRYPT_R,
                  p: int = _SCRYPT_P) -> str:
    """Hash a password with scrypt; the parameters are stored with the hash."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True if the password matches a hash made by `hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                              p=int(p), maxmem=64 * 1024 * 1024)
    return hmac.compare_digest(computed.hex(), digest)


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough (no salt or stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


_DUMMY_HASH = hash_password("not a real password")


class Accounts:
    """Users, groups, logins and API tokens, stored with the engine's schema."""

    #: Failed logins in a row before the account locks, and for how long.
    max_failures = 5
    lock_for = timedelta(minutes=15)
    #: scrypt cost; tests lower it on their own instance to stay fast.
    scrypt_n = _SCRYPT_N

    def __init__(self, sessionmaker: sessionmaker[Session], clock: Callable[[], datetime], *,
                 reads: sessionmaker[Session] | None = None, max_failures: int = 5,
                 lock_for: timedelta = timedelta(minutes=15)) -> None:
        self._sessions = sessionmaker
        # Lookups (every page's user, the user list) read without taking SQLite's write lock.
        self._reads = reads or sessionmaker
        self._clock = clock
        self.max_failures = max_failures
        self.lock_for = lock_for

    # -- users -------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, groups: Iterable[str] = (),
                 *, display_name: str | None = None) -> UserView:
        """Create a user with these groups; raises UserExists or WeakPassword."""
        username = username.strip()
        if not username:
            raise AccountError("a user needs a name")
        _check_strength(password, username)
        with self._sessions.begin() as session:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise UserExists(f"user {username!r} exists already", username)
            user = User(username=username, display_name=display_name,
                        password_hash=hash_password(password, n=self.scrypt_n),
                        is_active=True, failed_logins=0,
                        created_at=self._clock())
            user.groups = [UserGroup(group_name=g) for g in _unique(groups)]
            session.add(user)
            session.flush()
            return _view(user)

    def user(self, username: str) -> UserView:
        """The user with this name; raises UserNotFound."""
        with self._reads() as session:
            return _view(self._load(session, username))

    def find_user(self, username: str) -> UserView | None:
        """The user with this name, or None."""
        try:
            return self.user(username)
        except UserNotFound:
            return None

    def users(self) -> list[UserView]:
        """All users, by name."""
        with self._reads() as session:
            rows = session.scalars(
                select(User).options(selectinload(User.groups)).order_by(User.username))
            return [_view(u) for u in rows]

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password and lift any lock."""
        _check_strength(password, username)
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.password_hash = hash_password(password, n=self.scrypt_n)
            user.failed_logins = 0
            user.locked_until = None

    def set_groups(self, username: str, groups: Iterable[str]) -> UserView:
        """Replace a user's groups."""
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.groups = [UserGroup(group_name=g) for g in _unique(groups)]
            session.flush()
            return _view(user)

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user; a disabled user cannot log in or use tokens."""
        with self._sessions.begin() as session:
            self._load(session, username).is_active = active

    def unlock(self, username: str) -> None:
        """Lift a lockout early."""
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.failed_logins = 0
            user.locked_until = None

    # -- login ---------------------------------------------------------------------------------

    def verify(self, username: str, password: str) -> UserView:
        """Check a login; raises LoginFailed, or AccountLocked after repeated failures."""
        now = self._clock()
        with self._sessions.begin() as session:
            user = session.scalar(select(User).where(User.username == username.strip()))
            if user is None or not user.is_active:
                check_password(password, _DUMMY_HASH)  # same time as a real check
                raise LoginFailed("wrong name or password", username)
            locked_until = _aware(user.locked_until, now)
            if locked_until is not None and locked_until > now:
                raise AccountLocked(user.username, locked_until)
            if not check_password(password, user.password_hash):
                user.failed_logins = (user.failed_logins or 0) + 1
                if user.failed_logins >= self.max_failures:
                    user.failed_logins = 0
                    user.locked_until = now + self.lock_for
                    session.flush()
                    locked = _aware(user.locked_until, now)
                    assert locked is not None
                    # Commit the lock before raising: the transaction must not roll it back.
                    error: AccountError = AccountLocked(user.username, locked)
                else:
                    error = LoginFailed("wrong name or password", username)
            else:
                user.failed_logins = 0
                user.locked_until = None
                return _view(user)
        raise error

    # -- API tokens ----------------------------------------------------------------------------

    def create_token(self, username: str) -> str:
        """Make a new bearer token for a user; the token is shown once, only its hash is kept."""
        token = "anj_" + secrets.token_urlsafe(32)
        with self._sessions.begin() as session:
            user = self._load(session, username)
            session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token),
                                 created_at=self._clock(), revoked=False))
        return token

    def verify_token(self, token: str) -> UserView | None:
        """The active user a bearer token belongs to, or None."""
        with self._sessions.begin() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
            if row is None or row.revoked:
                return None
            user = session.get(User, row.user_id)
            if user is None or not user.is_active:
                return None
            row.last_used_at = self._clock()
            return _view(user)

    def revoke_tokens(self, username: str) -> int:
        """Revoke every token of a user; returns how many were live."""
        with self._sessions.begin() as session:
            user = self._load(session, username)
            rows = session.scalars(
                select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False)))
            count = 0
            for row in rows:
                row.revoked = True
                count += 1
            return count

    # -- helpers -------------------------------------------------------------------------------

    def _load(self, session: Session, username: str) -> User:
        user = session.scalar(select(User).options(selectinload(User.groups))
                              .where(User.username == username))
        if user is None:
            raise UserNotFound(f"no user named {username!r}", username)
        return user


def _check_strength(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH or password == username:
        raise WeakPassword(
            f"a password needs at least {MIN_PASSWORD_LENGTH} characters and must differ from "
            "the user name", username)


def _unique(groups: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for g in groups:
        g = g.strip()
        if g and g not in seen:
            seen.append(g)
    return seen


def _aware(value: datetime | None, now: datetime) -> datetime | None:
    # SQLite hands back naive datetimes; they were stored in the clock's zone.
    if value is not None and value.tzinfo is None and now.tzinfo is not None:
        return value.replace(tzinfo=now.tzinfo)
    return value


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        groups=tuple(sorted(g.group_name for g in user.groups)),
        is_active=user.is_active,
        locked_until=user.locked_until,
        created_at=user.created_at,
    )
