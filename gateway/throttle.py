"""Brute-force protection for the token endpoint and the sign-in page.

Every attempt is reserved (counted, atomically, and committed) before its
credential is checked, against the principal (a decoded client id, or tenant +
email) from this address and the address itself (an IPv6 address counts as its
/64, which one machine usually holds whole). Both slow down from half of
LOGIN_MAX_FAILURES and lock at it. A person's sign-in is also counted from
anywhere, locking only at PERSON_LIMIT failures (NIST SP 800-63B's ceiling), so
a password cannot be guessed from many addresses, and a stranger needs many
/64s to lock a person out. A client id is never locked from anywhere: its
secret is 256 random bits that no one guesses, so such a lock could only serve
to shut a victim out. A refused attempt counts nowhere. A success clears the
principal's own counts and gives the address its attempt back. Keys are HMACs
under the secret key: the table never holds typed input.

This is the one place outside the core's unit of work that commits, on purpose: a wrong
credential is answered 401, and the core rolls a failed request back, so a count kept in
the request's transaction would vanish with it (tests/gateway/test_lockouts.py,
test_failures_slow_down_before_they_lock); and the attempt is committed before the check
so that concurrent guesses see each other (test_concurrent_wrong_secrets_are_checked_at_most_the_limit).
A success is the exception: it lives in the request's transaction (see `succeeded`).
"""
import dataclasses
import datetime as dt
import hashlib
import hmac
import ipaddress
import math

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from civic.core.db import dialect, session, utcnow
from civic.gateway import problems
from civic.gateway.models import Throttle

PERSON_LIMIT = 100  # failed sign-ins from anywhere before a person's sign-in itself is locked
SLOWDOWN_BASE_SECONDS = 2  # the wait after each failure past half the limit: 2 s, 4 s, 8 s...


@dataclasses.dataclass(frozen=True)
class _Key:
    key: str
    limit: int
    slows: bool  # waits grow from half the limit
    own: bool  # the principal's own count: cleared by its success


@dataclasses.dataclass(frozen=True)
class Ticket:
    """An attempt reserved against its keys."""

    keys: tuple[_Key, ...]


def _hashed(kind: str, *parts: str) -> str:
    message = "\x1f".join((kind, *parts)).encode()
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()
    return f"{kind}:{mac}"


def _network(address: str) -> str:
    """The address an attacker cannot cheaply multiply: an IPv4 address, or an IPv6 address's /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 4:
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False))


def _keys(principal: str, address: str, person: bool) -> tuple[_Key, ...]:
    limit, address = current_app.config["LOGIN_MAX_FAILURES"], _network(address)
    keys = [_Key(_hashed("pair", principal, address), limit, True, True),
            _Key(_hashed("addr", address), limit, True, False)]
    if person:
        keys.append(_Key(_hashed("principal", principal), max(PERSON_LIMIT, limit), False, True))
    return tuple(sorted(keys, key=lambda k: k.key))  # one locking order everywhere: no deadlocks


def _lock() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])


def _count_one(key: str, now: dt.datetime):
    """Add one attempt to a key in one statement, starting a new window once the last one is over."""
    insert = (postgresql if dialect() == "postgresql" else sqlite).insert
    over = sa.and_(Throttle.window_started_at < now - _lock(),
                   sa.or_(Throttle.locked_until.is_(None), Throttle.locked_until <= now))
    statement = insert(Throttle).values(key=key, failures=1, window_started_at=now, locked_until=None)
    statement = statement.on_conflict_do_update(index_elements=[Throttle.key], set_={
        "failures": sa.case((over, 1), else_=Throttle.failures + 1),
        "window_started_at": sa.case((over, statement.excluded.window_started_at), else_=Throttle.window_started_at),
        "locked_until": sa.case((over, None), else_=Throttle.locked_until),
    }).returning(Throttle.failures, Throttle.window_started_at, Throttle.locked_until)
    return session.execute(statement).one()


def reserve(*, principal: str, address: str, person: bool = False) -> Ticket:
    """Count an attempt before its credential is checked; a 429 problem if any key is locked or slowed.

    `person`: the principal is a person signing in (counted from anywhere too), not a client."""
    keys, now, wait = _keys(principal, address or "-", person), utcnow(), 0.0
    for key in keys:
        failures, started, locked_until = _count_one(key.key, now)
        if locked_until and locked_until > now:
            wait = max(wait, (locked_until - now).total_seconds())
        elif failures > key.limit:  # the attempt that locks it is still being checked
            wait = max(wait, (started + _lock() - now).total_seconds(), 1)
    if wait:
        session.rollback()  # a refused attempt counts nowhere: hammering cannot lock anyone else
        raise problems.TOO_MANY_FAILURES("Too many failed attempts. Wait before trying again.",
                                         headers={"Retry-After": str(max(1, math.ceil(wait)))})
    session.commit()  # own commit: concurrent attempts must see this one before any credential is checked
    return Ticket(keys)


def failed(ticket: Ticket) -> None:
    """The credential was wrong: keep the attempt, slow down or lock; committed now (the request rolls back)."""
    session.rollback()
    now = utcnow()
    by_key = {k.key: k for k in ticket.keys}
    rows = session.execute(sa.select(Throttle.key, Throttle.failures).where(Throttle.key.in_(by_key))
                           .order_by(Throttle.key).with_for_update()).all()
    for name, failures in rows:
        key = by_key[name]
        if failures >= key.limit:
            values = {"locked_until": now + _lock(), "window_started_at": now}
        elif key.slows and failures >= (key.limit + 1) // 2:
            steps = failures - (key.limit + 1) // 2 + 1
            values = {"locked_until": now + min(_lock(), dt.timedelta(seconds=SLOWDOWN_BASE_SECONDS ** steps))}
        else:
            continue
        session.execute(sa.update(Throttle).where(Throttle.key == name).values(**values))
    session.commit()  # own commit: the 401 that follows rolls the request's transaction back


def succeeded(ticket: Ticket) -> None:
    """The credential was right: clear the principal's own counts, give the address its attempt back.

    In the request's own transaction, so it lasts only if the success does.
    """
    for key in ticket.keys:  # in the locking order
        if key.own:
            session.execute(sa.delete(Throttle).where(Throttle.key == key.key))
        else:
            _give_back(key.key)


def release(ticket: Ticket) -> None:
    """No credential was judged (a malformed request, a bad code): give the attempt back, now."""
    session.rollback()
    for key in ticket.keys:
        _give_back(key.key)
    session.commit()  # own commit: reserve() committed the attempt, and the 4xx that follows rolls back


def _give_back(key: str) -> None:
    session.execute(sa.update(Throttle).where(Throttle.key == key, Throttle.failures > 0)
                    .values(failures=Throttle.failures - 1))
