"""engine/accounts.py: password hashing, login throttling, revocable sessions, token expiry."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine import AccountLocked, Engine, FakeClock, LoginFailed
from engine.accounts import hash_parameters
from engine.models import ApiToken, LoginThrottle, User
from tests.conftest import EngineWith

PASSWORD = "long enough 1"


def _engine(engine_with: EngineWith, n: int = 2**4) -> Engine:
    engine = engine_with()
    engine.accounts.scrypt_n = n
    engine.accounts.add_user("wang", PASSWORD, ["case_handler"])
    return engine


def _stored_hash(engine: Engine, username: str) -> str:
    with engine.sessionmaker() as s:
        return str(s.scalar(select(User.password_hash).where(User.username == username)))


@pytest.mark.sqlite_only
def test_default_scrypt_cost_meets_owasp_and_old_hashes_are_redone_at_login(engine_with: EngineWith) -> None:
    engine = _engine(engine_with, 2**4)
    assert hash_parameters(_stored_hash(engine, "wang")) == (2**4, 8, 1)
    # OWASP Password Storage Cheat Sheet: scrypt N=2^17 (128 MiB), r=8, p=1 at the least.
    assert type(engine.accounts).scrypt_n >= 2**17
    engine.accounts.scrypt_n = 2**5  # the parameters changed since the hash was made
    with pytest.raises(LoginFailed):
        engine.accounts.verify("wang", "wrong password")
    assert hash_parameters(_stored_hash(engine, "wang")) == (2**4, 8, 1)  # not on a failure
    engine.accounts.verify("wang", PASSWORD)
    assert hash_parameters(_stored_hash(engine, "wang")) == (2**5, 8, 1)
    engine.accounts.verify("wang", PASSWORD)  # and the new hash checks


def test_throttle_is_per_client_and_name_with_doubling_waits(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = _engine(engine_with)
    accounts = engine.accounts
    for _ in range(4):
        with pytest.raises(LoginFailed):
            accounts.verify("wang", "wrong", client="10.0.0.9")
    with pytest.raises(AccountLocked) as first:
        accounts.verify("wang", "wrong", client="10.0.0.9")
    assert first.value.locked_until == clock() + timedelta(seconds=1)
    with pytest.raises(AccountLocked):
        accounts.verify("wang", PASSWORD, client="10.0.0.9")
    assert accounts.verify("wang", PASSWORD, client="10.0.0.1").username == "wang"
    waits = []
    for _ in range(4):
        clock.set(first.value.locked_until if not waits else waits[-1])
        with pytest.raises(AccountLocked) as later:
            accounts.verify("wang", "wrong", client="10.0.0.9")
        waits.append(later.value.locked_until)
    gaps = [w - s for s, w in zip([first.value.locked_until, *waits], waits, strict=False)]
    assert gaps == [timedelta(seconds=s) for s in (2, 4, 8, 16)]
    clock.set(waits[-1])
    assert accounts.verify("wang", PASSWORD, client="10.0.0.9").username == "wang"
    accounts.verify("wang", PASSWORD, client="10.0.0.9")  # a good login clears the count


def test_unknown_names_are_throttled_and_timed_like_known_ones(engine_with: EngineWith) -> None:
    engine = _engine(engine_with, 2**12)
    accounts = engine.accounts

    def attempt(name: str) -> tuple[type[Exception], float]:
        start = time.perf_counter()
        with pytest.raises((LoginFailed, AccountLocked)) as info:
            accounts.verify(name, "wrong", client="10.0.0.7")
        return info.type, time.perf_counter() - start

    known = [attempt("wang") for _ in range(6)]
    unknown = [attempt("ghost") for _ in range(6)]
    assert [k for k, _ in known] == [k for k, _ in unknown] == [LoginFailed] * 4 + [AccountLocked] * 2
    # The password is checked (or a dummy hash of the same cost) for unknown names too.
    checked_known = sorted(t for _, t in known[:5])[2]
    checked_unknown = sorted(t for _, t in unknown[:5])[2]
    assert checked_unknown > checked_known / 4


def test_parallel_attempts_get_no_more_checks_than_the_limit(engine_with: EngineWith) -> None:
    engine = _engine(engine_with)
    results: list[str] = []
    start = threading.Barrier(16)

    def attempt() -> None:
        start.wait()
        try:
            engine.accounts.verify("wang", "wrong", client="10.0.0.5")
        except LoginFailed:
            results.append("checked")
        except AccountLocked:
            results.append("throttled")

    threads = [threading.Thread(target=attempt) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with engine.sessionmaker() as s:
        failures = s.scalar(select(LoginThrottle.failures).where(LoginThrottle.username == "wang"))
    # Five checks at most: four answered "wrong", the fifth started the wait; the rest waited.
    assert failures == engine.accounts.max_failures == 5
    assert results.count("checked") == 4 and results.count("throttled") == 12


def test_session_generation_moves_on_logout_password_and_disable(engine_with: EngineWith) -> None:
    engine = _engine(engine_with)
    accounts = engine.accounts
    seen = [accounts.user("wang").session_generation]
    accounts.end_sessions("wang")
    seen.append(accounts.user("wang").session_generation)
    accounts.set_password("wang", "another password 2")
    seen.append(accounts.user("wang").session_generation)
    accounts.set_active("wang", False)
    accounts.set_active("wang", True)
    seen.append(accounts.user("wang").session_generation)
    assert seen == sorted(set(seen)) and len(seen) == 4


def test_tokens_expire_can_be_listed_and_revoked(engine_with: EngineWith, clock: FakeClock) -> None:
    engine = _engine(engine_with)
    accounts = engine.accounts
    accounts.add_user("li", PASSWORD, [])
    old = accounts.create_token("wang")
    clock.advance(days=10)
    new = accounts.create_token("wang")
    other = accounts.create_token("li")
    listed = accounts.tokens("wang")
    assert [t.expires_at - t.created_at for t in listed] == [timedelta(days=90)] * 2
    assert accounts.verify_token(old) is not None
    clock.advance(days=81)  # the first token is 91 days old now
    assert accounts.verify_token(old) is None and accounts.verify_token(new) is not None
    newest = listed[0]
    assert not accounts.revoke_token(newest.id, username="li")  # not li's token
    assert accounts.verify_token(new) is not None
    assert accounts.revoke_token(newest.id, username="wang")
    assert accounts.verify_token(new) is None and accounts.verify_token(other) is not None
    states = [(t.revoked, t.is_live(clock())) for t in accounts.tokens("wang")]
    assert states == [(True, False), (False, False)]
    assert {t.username for t in accounts.tokens()} == {"wang", "li"}


def test_tokens_made_before_expiry_existed_expire_after_the_same_lifetime(engine_with: EngineWith,
                                                                          clock: FakeClock) -> None:
    engine = _engine(engine_with)
    token = engine.accounts.create_token("wang")
    with engine.sessionmaker.begin() as s:
        s.execute(update(ApiToken).values(expires_at=None))
    assert engine.accounts.verify_token(token) is not None
    clock.advance(days=90, seconds=1)
    assert engine.accounts.verify_token(token) is None


def test_a_unit_is_kept_changed_and_given_with_the_active_holders_of_a_role(engine_with: EngineWith) -> None:
    accounts = engine_with().accounts
    accounts.scrypt_n = 2**4
    accounts.add_user("li", "long enough 1", ["case_leader"], display_name="李明", unit=" 县信访局 ")
    accounts.add_user("wang", "long enough 1", ["case_leader"])
    accounts.add_user("gone", "long enough 1", ["case_leader"], unit="县信访局")
    accounts.set_active("gone", False)
    assert [(u.username, u.unit) for u in accounts.holders("case_leader")] == [("li", "县信访局"), ("wang", None)]
    changed = accounts.set_details("wang", display_name="王芳", unit="乡镇信访办")
    assert (changed.label, changed.unit) == ("王芳", "乡镇信访办")
    assert accounts.user("wang").unit == "乡镇信访办"
    assert accounts.set_details("wang", display_name="", unit="  ").unit is None
