"""Accounts: users, their groups (roles), password checks throttled per client and name,
revocable web sessions, and API tokens that expire."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from engine import operations
from engine.clock import aware
from engine.errors import AccountError, AccountLocked, LoginFailed, UserExists, UserNotFound, WeakPassword
from engine.models import ApiToken, LoginThrottle, User, UserGroup
from engine.operations import Action

#: How often a bearer token's use is written down (its `last_used_at`), at most.
TOKEN_USE_EVERY = timedelta(minutes=1)

# Every request looks its user up (the session's, or the bearer token's): one prebuilt statement
# each, user and groups in one round trip (a row per group), so no statement is built, no ORM
# object loaded and no second query sent for the groups.
_USER_COLUMNS = (User.id, User.username, User.display_name, User.is_active, User.locked_until,
                 User.created_at, User.session_generation, User.unit, User.email, UserGroup.group_name)
_USER_BY_NAME = (select(*_USER_COLUMNS).outerjoin(UserGroup, UserGroup.user_id == User.id)
                 .where(User.username == bindparam("username")))
_ALL_USERS = (select(*_USER_COLUMNS).outerjoin(UserGroup, UserGroup.user_id == User.id)
              .order_by(User.username, UserGroup.group_name))
_USER_BY_TOKEN = (select(ApiToken.id, ApiToken.revoked, ApiToken.created_at, ApiToken.expires_at,
                         ApiToken.last_used_at, *_USER_COLUMNS)
                  .join(User, User.id == ApiToken.user_id)
                  .outerjoin(UserGroup, UserGroup.user_id == User.id)
                  .where(ApiToken.token_hash == bindparam("token_hash")))
_TOKEN_USED = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(
    last_used_at=bindparam("now"))

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
    #: Web sessions carry this number; raising it (logout, new password, disable) ends them all.
    session_generation: int = 0
    #: The unit (单位) the user works in, if known.
    unit: str | None = None
    #: Where reminders are mailed, if the user gave one.
    email: str | None = None

    @property
    def label(self) -> str:
        """The name to show people: the display name if there is one."""
        return self.display_name or self.username


@dataclass(frozen=True)
class TokenView:
    """An API token as its owner sees it: never the token itself, which is shown once."""

    id: int
    username: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool

    def is_live(self, now: datetime) -> bool:
        """True while the token is neither revoked nor expired."""
        expires = aware(self.expires_at, now)
        return not self.revoked and expires is not None and expires > now


# scrypt parameters as OWASP's Password Storage Cheat Sheet recommends them (N=2^17, r=8, p=1:
# 128 MiB per check); a hash made with other parameters is redone at the next good login.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**17, 8, 1
_SCRYPT_MAXMEM = 256 * 1024 * 1024
MIN_PASSWORD_LENGTH = 8
#: An address a mail server takes: one @, no spaces or angle brackets, a dot in the domain.
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


def hash_password(password: str, *, n: int = _SCRYPT_N, r: int = _SCRYPT_R,
                  p: int = _SCRYPT_P) -> str:
    """Hash a password with scrypt; the parameters are stored with the hash."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=_SCRYPT_MAXMEM)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def hash_parameters(stored: str) -> tuple[int, int, int] | None:
    """The (N, r, p) a stored scrypt hash was made with, or None for another scheme."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt" or not all(x.isdigit() for x in parts[1:4]):
        return None
    return int(parts[1]), int(parts[2]), int(parts[3])


def check_password(password: str, stored: str) -> bool:
    """True if the password matches a hash made by `hash_password`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r),
                              p=int(p), maxmem=_SCRYPT_MAXMEM)
    return hmac.compare_digest(computed.hex(), digest)


def _token_hash(token: str) -> str:
    # Tokens are 256 random bits, so a plain SHA-256 is enough (no salt or stretching needed).
    return hashlib.sha256(token.encode()).hexdigest()


_DUMMY_HASHES: dict[int, str] = {}


def _dummy_hash(n: int) -> str:
    """A hash of the current cost, checked for unknown names so they take as long as real ones."""
    if n not in _DUMMY_HASHES:
        _DUMMY_HASHES[n] = hash_password("not a real password", n=n)
    return _DUMMY_HASHES[n]


class Accounts:
    """Users, groups, logins and API tokens, stored with the engine's schema."""

    #: Failed logins in a row (per client and name) before attempts must wait; the first wait,
    #: doubled with each further failure, and its cap.
    max_failures = 5
    first_delay = timedelta(seconds=1)
    lock_for = timedelta(minutes=15)
    #: How long a new API token lasts.
    token_lifetime = timedelta(days=90)
    #: scrypt cost; tests lower it on their own instance to stay fast.
    scrypt_n = _SCRYPT_N

    def __init__(self, sessionmaker: sessionmaker[Session], clock: Callable[[], datetime], *,
                 reads: sessionmaker[Session] | None = None, max_failures: int = 5,
                 lock_for: timedelta = timedelta(minutes=15),
                 first_delay: timedelta = timedelta(seconds=1),
                 token_lifetime: timedelta = timedelta(days=90)) -> None:
        self._sessions = sessionmaker
        # Lookups (every page's user, the user list) read without taking SQLite's write lock.
        self._reads = reads or sessionmaker
        self._clock = clock
        self.max_failures = max_failures
        self.lock_for = lock_for
        self.first_delay = first_delay
        self.token_lifetime = token_lifetime

    # -- users -------------------------------------------------------------------------------

    def add_user(self, username: str, password: str, groups: Iterable[str] = (),
                 *, display_name: str | None = None, unit: str | None = None,
                 email: str | None = None) -> UserView:
        """Create a user with these groups (and unit, e-mail address); raises UserExists,
        WeakPassword, or AccountError for a malformed address."""
        username = username.strip()
        if not username:
            raise AccountError("a user needs a name")
        address = (email or "").strip() or None
        if address is not None and not EMAIL.fullmatch(address):
            raise AccountError(f"{address!r} is not an e-mail address", username)
        _check_strength(password, username)
        with self._sessions.begin() as session:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise UserExists(f"user {username!r} exists already", username)
            user = User(username=username, display_name=display_name, unit=(unit or "").strip() or None,
                        email=address, password_hash=hash_password(password, n=self.scrypt_n),
                        is_active=True, failed_logins=0,
                        created_at=self._clock())
            user.groups = [UserGroup(group_name=g) for g in _unique(groups)]
            session.add(user)
            session.flush()
            self._log(session, Action.USER_ADDED, username, after={"groups": _unique(groups)})
            return _view(user)

    def user(self, username: str) -> UserView:
        """The user with this name; raises UserNotFound."""
        found = self.find_user(username)
        if found is None:
            raise UserNotFound(f"no user named {username!r}", username)
        return found

    def find_user(self, username: str) -> UserView | None:
        """The user with this name, or None (one read: every web request asks it)."""
        with self._reads() as session:
            rows = session.execute(_USER_BY_NAME, {"username": username}).all()
        return _row_view(rows, 0) if rows else None

    def users(self) -> list[UserView]:
        """All users, by name (pages read them once per request to show people by name)."""
        with self._reads() as session:
            rows = session.execute(_ALL_USERS).all()
        by_user: dict[int, list[Any]] = {}
        for row in rows:
            by_user.setdefault(row[0], []).append(row)
        return [_row_view(group, 0) for group in by_user.values()]

    def holders(self, role: str) -> list[UserView]:
        """Active users holding `role` (a group), by name: the choices of a user picker."""
        with self._reads() as session:
            rows = session.scalars(
                select(User).join(UserGroup).where(UserGroup.group_name == role, User.is_active.is_(True))
                .options(selectinload(User.groups)).order_by(User.username))
            return [_view(u) for u in rows]

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password, lift any throttling and end all of the user's sessions."""
        _check_strength(password, username)
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.password_hash = hash_password(password, n=self.scrypt_n)
            user.failed_logins = 0
            user.locked_until = None
            user.session_generation = (user.session_generation or 0) + 1
            session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
            self._log(session, Action.PASSWORD_SET, username)

    def set_details(self, username: str, *, display_name: str | None, unit: str | None,
                    email: str | None = None) -> UserView:
        """Change the name people read, the unit and the e-mail address of a user (empty text
        clears them; `email=None` leaves the address as it is). A malformed address raises
        AccountError."""
        address = None if email is None else (email.strip() or None)
        if address is not None and not EMAIL.fullmatch(address):
            raise AccountError(f"{address!r} is not an e-mail address", username)
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.display_name = (display_name or "").strip() or None
            user.unit = (unit or "").strip() or None
            if email is not None:
                before = user.email
                user.email = address
                if before != address:
                    self._log(session, Action.USER_EMAIL_CHANGED, username, before={"email": before},
                              after={"email": address})
            session.flush()
            return _view(user)

    def set_groups(self, username: str, groups: Iterable[str]) -> UserView:
        """Replace a user's groups."""
        with self._sessions.begin() as session:
            user = self._load(session, username)
            before = sorted(g.group_name for g in user.groups)
            user.groups = [UserGroup(group_name=g) for g in _unique(groups)]
            session.flush()
            self._log(session, Action.ROLES_CHANGED, username, before={"groups": before},
                      after={"groups": _unique(groups)})
            return _view(user)

    def set_active(self, username: str, active: bool) -> None:
        """Enable or disable a user; a disabled user cannot log in or use tokens, and every
        session of the user ends (re-enabling does not bring them back)."""
        with self._sessions.begin() as session:
            user = self._load(session, username)
            self._log(session, Action.USER_ACTIVE_CHANGED, username, before={"active": user.is_active},
                      after={"active": active})
            user.is_active = active
            user.session_generation = (user.session_generation or 0) + 1

    def end_sessions(self, username: str) -> None:
        """End every web session of the user (logout does this)."""
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.session_generation = (user.session_generation or 0) + 1
            self._log(session, Action.LOGOUT, username, actor=username)

    def unlock(self, username: str) -> None:
        """Lift the throttling of a user's name early, from every client address."""
        with self._sessions.begin() as session:
            user = self._load(session, username)
            user.failed_logins = 0
            user.locked_until = None
            session.execute(delete(LoginThrottle).where(LoginThrottle.username == user.username))
            self._log(session, Action.USER_UNLOCKED, username)

    # -- login ---------------------------------------------------------------------------------

    def verify(self, username: str, password: str, *, client: str = "") -> UserView:
        """Check a login from `client` (its address); raises LoginFailed, or AccountLocked
        while that client must wait before trying this name again.

        Attempts are throttled per client address and name together, so nobody can lock a
        user out from elsewhere; unknown names are throttled and timed like known ones.
        Concurrent attempts queue on the throttle row, so no client gets more checks than
        the limit.
        """
        name = username.strip()
        now = self._clock()
        with self._sessions.begin() as session:
            throttle = self._throttle(session, client[:100], name[:200])
            wait_until = aware(throttle.next_attempt_at, now)
            if wait_until is not None and wait_until > now:
                raise AccountLocked(name, wait_until)
            user = session.scalar(select(User).where(User.username == name))
            if user is None or not user.is_active:
                check_password(password, _dummy_hash(self.scrypt_n))  # same time as a real check
                good = False
            else:
                good = check_password(password, user.password_hash)
            if good and user is not None:
                session.delete(throttle)
                if hash_parameters(user.password_hash) != (self.scrypt_n, _SCRYPT_R, _SCRYPT_P):
                    user.password_hash = hash_password(password, n=self.scrypt_n)
                self._log(session, Action.LOGIN, name, actor=name, client=client)
                return _view(user)
            throttle.failures += 1
            error: AccountError = LoginFailed("wrong name or password", name)
            over = throttle.failures - self.max_failures
            if over >= 0:
                delay = min(self.lock_for, self.first_delay * 2 ** min(over, 40))
                throttle.next_attempt_at = now + delay
                error = AccountLocked(name, now + delay)
            self._log(session, Action.LOGIN_FAILED, name[:200], actor=name[:200] or "?", client=client,
                      after={"failures": throttle.failures, "known_user": user is not None})
        raise error  # after the commit: the failure counts

    def _throttle(self, session: Session, client: str, username: str) -> LoginThrottle:
        """The throttle row of (client, name), created if missing, locked for this transaction."""
        query = select(LoginThrottle).where(LoginThrottle.client == client,
                                            LoginThrottle.username == username)
        row = session.scalar(query.with_for_update())
        if row is not None:
            return row
        try:
            with session.begin_nested():
                session.add(LoginThrottle(client=client, username=username, failures=0))
        except IntegrityError:
            pass  # a concurrent attempt made it first; wait for its lock below
        row = session.scalar(query.with_for_update().execution_options(populate_existing=True))
        assert row is not None
        return row

    # -- API tokens ----------------------------------------------------------------------------

    def create_token(self, username: str) -> str:
        """Make a new bearer token for a user; the token is shown once, only its hash is kept."""
        token = "anj_" + secrets.token_urlsafe(32)
        now = self._clock()
        with self._sessions.begin() as session:
            user = self._load(session, username)
            row = ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                           expires_at=now + self.token_lifetime, revoked=False)
            session.add(row)
            session.flush()
            self._log(session, Action.TOKEN_CREATED, username,
                      after={"token": row.id, "expires_at": (now + self.token_lifetime).isoformat()})
        return token

    def verify_token(self, token: str) -> UserView | None:
        """The active user a bearer token belongs to, or None.

        A read: the token's use is written down at most once a minute (`TOKEN_USE_EVERY`), in
        its own short transaction, so API reads do not take the write lock on every call.
        """
        with self._reads() as session:
            rows = session.execute(_USER_BY_TOKEN, {"token_hash": _token_hash(token)}).all()
        if not rows:
            return None
        token_id, revoked, created_at, expires_at, last_used = rows[0][:5]
        now = self._clock()
        expires = aware(expires_at or created_at + self.token_lifetime, now)
        view = _row_view(rows, 5)
        if revoked or expires is None or expires <= now or not view.is_active:
            return None
        used = aware(last_used, now)
        if used is None or now - used >= TOKEN_USE_EVERY:
            with self._sessions.begin() as session:
                session.execute(_TOKEN_USED, {"token_id": token_id, "now": now})
        return view

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
            self._log(session, Action.TOKEN_REVOKED, username, after={"tokens": "all", "live": count})
            return count

    def tokens(self, username: str | None = None) -> list[TokenView]:
        """The tokens of a user (or of everyone), newest first, revoked and expired included."""
        with self._reads() as session:
            query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
            if username is not None:
                query = query.where(User.username == username)
            rows = session.execute(query.order_by(ApiToken.id.desc())).all()
            return [self._token_view(row, name) for row, name in rows]

    def revoke_token(self, token_id: int, *, username: str | None = None) -> bool:
        """Revoke one token (only if it belongs to `username`, when given); True if it was live."""
        with self._sessions.begin() as session:
            row = session.get(ApiToken, token_id)
            owner = session.get(User, row.user_id) if row is not None else None
            if row is None or owner is None or (username is not None and owner.username != username):
                return False
            was_live = self._token_view(row, "").is_live(self._clock())
            row.revoked = True
            self._log(session, Action.TOKEN_REVOKED, owner.username, before={"token": row.id, "live": was_live})
            return was_live

    def _token_view(self, row: ApiToken, username: str) -> TokenView:
        # Tokens made before expiry existed last token_lifetime from their creation.
        expires = row.expires_at or row.created_at + self.token_lifetime
        return TokenView(id=row.id, username=username, created_at=row.created_at, expires_at=expires,
                         last_used_at=row.last_used_at, revoked=row.revoked)

    # -- helpers -------------------------------------------------------------------------------

    def _log(self, session: Session, action: Action, username: str, *, actor: str | None = None,
             client: str | None = None, before: dict[str, object] | None = None,
             after: dict[str, object] | None = None) -> None:
        """An operation-log entry about the user `username`, in this transaction."""
        if client is not None:
            with operations.acting_as(actor or username, client or None):
                operations.append(session, action, at=self._clock(), target=f"user {username}",
                                  before=before, after=after)
            return
        operations.append(session, action, at=self._clock(), actor=actor, target=f"user {username}",
                          before=before, after=after)

    def _load(self, session: Session, username: str) -> User:
        user = session.scalar(select(User).options(selectinload(User.groups))
                              .where(User.username == username))
        if user is None:
            raise UserNotFound(f"no user named {username!r}", username)
        return user


def holds_role(session: Session, username: str, role: str) -> bool:
    """True if `username` is an active user holding `role` (a group)."""
    q = select(User.id).join(UserGroup).where(User.username == username, UserGroup.group_name == role,
                                              User.is_active.is_(True))
    return session.scalar(q) is not None


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


def _row_view(rows: Sequence[Any], start: int) -> UserView:
    """The user of `_USER_COLUMNS` rows (one per group; groups NULL for a user without any),
    the user's columns beginning at `start`."""
    uid, username, display_name, is_active, locked_until, created_at, generation, unit, email, _ = rows[0][start:]
    return UserView(id=uid, username=username, display_name=display_name,
                    groups=tuple(sorted(r[-1] for r in rows if r[-1] is not None)),
                    is_active=bool(is_active), locked_until=locked_until, created_at=created_at,
                    session_generation=generation or 0, unit=unit, email=email)


def _view(user: User) -> UserView:
    return UserView(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        groups=tuple(sorted(g.group_name for g in user.groups)),
        is_active=user.is_active,
        locked_until=user.locked_until,
        created_at=user.created_at,
        session_generation=user.session_generation or 0,
        unit=user.unit,
        email=user.email,
    )
