"""The people of the web interface at one node: users and roles, Argon2id passwords, TOTP, failed-login
throttling and locks, operation grants, server-side sessions (docs/web.md). The rules are here; the SQL
is rilo_node/store/users.py; the web layer (rilo_node/web) only calls these."""

from __future__ import annotations

import hashlib
import re
import secrets
import threading

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from rilo_node.core.errors import AlreadyExistsError, NotFoundError, ValidationError
from rilo_node.node.clock import Clock, rfc3339
from rilo_node.store import users as su
from rilo_node.store.db import Store

ROLES = ("viewer", "analyst", "admin")
# What each role may do beyond reading (docs/web.md#users-and-roles).
WRITE_ACTIONS = {"post", "export", "request", "seizure"}
ADMIN_ACTIONS = {"admin"}

NAME = re.compile(r"[a-z][a-z0-9._-]{0,63}")
OPERATION_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MIN_PASSWORD = 12  # NIST SP 800-63B / ASVS 2.1.1: a length, no composition rules
MAX_PASSWORD = 128  # ASVS 2.1.2: at least 64 allowed, more than 128 refused

# Argon2id as OWASP's password storage cheat sheet gives it (19 MiB, 2 passes, 1 lane): ~20 ms a hash here.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Failed logins: after THROTTLE_AFTER in a row each next attempt must wait 2^(n-THROTTLE_AFTER) s (at
# most THROTTLE_MAX); LOCK_AFTER in a row lock the account for LOCK_SECONDS. A success resets both.
THROTTLE_AFTER = 3
THROTTLE_MAX = 30.0
LOCK_AFTER = 10
LOCK_SECONDS = 900.0

# Sessions end after this long without a request, and this long after the login whatever happens.
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 3600
SEEN_EVERY = 60.0  # the last-seen time is written at most this often per session

_DUMMY_HASH = HASHER.hash("not a password of anyone, to spend the same time on unknown names")


class LoginFailed(Exception):
    """Wrong name, password or code, a lock or a throttle: one message for all of them."""

    MESSAGE = "Sign-in failed: the user name, password or code is wrong, or too many attempts were made."

    def __init__(self, reason: str):
        super().__init__(self.MESSAGE)
        self.reason = reason  # for the log and the tests, never shown


def check_name(name: str, field: str = "name") -> str:
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ValidationError(field, "must be 1-64 characters: lower-case letters, digits, '.', '_' or '-', "
                                     "starting with a letter")
    return name


def check_password(password: str, field: str = "password") -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(field, f"must be at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise ValidationError(field, f"must be at most {MAX_PASSWORD} characters")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError("role", f"must be one of {', '.join(ROLES)}")
    return role


def check_operations(ops) -> list[str]:
    out = []
    for i, op in enumerate(ops):
        if not OPERATION_ID.fullmatch(op or ""):
            raise ValidationError(f"operations[{i}]", f"{op!r} is not an operation id")
        out.append(op)
    return sorted(set(out))


def allowed(role: str, action: str) -> bool:
    """Whether `role` may do `action` ("read", "post", "export", "request", "seizure", "admin")."""
    if action in ADMIN_ACTIONS:
        return role == "admin"
    if action in WRITE_ACTIONS:
        return role in ("analyst", "admin")
    return role in ROLES


def new_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, 120 bits


def session_hash(sid: str) -> bytes:
    return hashlib.sha256(sid.encode()).digest()


class Users:
    """Users, logins and sessions of one node's web interface. Thread-safe; writes go through the store's
    writer. Hashing is slow on purpose: callers on an event loop run authenticate() in a bounded pool."""

    def __init__(self, store: Store, clock: Clock, *, admin_totp: bool = True, node_id: str = ""):
        self.store = store
        self.clock = clock
        self.admin_totp = admin_totp
        self.node_id = node_id
        self._lock = threading.Lock()

    # -- management (rilo-node user ...) ------------------------------------------------------------

    def get(self, name: str) -> dict:
        user = su.get_user(self.store.reader, name)
        if user is None:
            raise NotFoundError(f"no user {name!r}")
        return user

    def list(self) -> list[dict]:
        return su.list_users(self.store.reader)

    def add(self, name: str, role: str, *, password: str = "", operations=(), all_operations: bool = False,
            totp: bool = False, password_hash: str = "", totp_secret: str = "") -> tuple[dict, str, str]:
        """A new user; returns (user, the generated password or "", the TOTP secret or ""). `password_hash`
        and `totp_secret` are for provisioning (`cluster up` gives every node the same users)."""
        check_name(name)
        check_role(role)
        ops = check_operations(operations)
        generated = ""
        if not password_hash:
            if password:
                check_password(password)
            else:
                password = generated = new_password()
            password_hash = HASHER.hash(password)
        secret = totp_secret or (pyotp.random_base32() if totp or (role == "admin" and self.admin_totp) else "")
        created = rfc3339(self.clock.now())

        def txn(conn):
            if su.get_user(conn, name) is not None:
                raise AlreadyExistsError(f"user {name!r} exists")
            su.add_user_txn(conn, name=name, role=role, password_hash=password_hash, totp_secret=secret,
                            all_operations=all_operations, operations=ops, created_at=created)

        self.store.write(txn)
        return self.get(name), generated, secret

    def grant(self, name: str, operations=(), all_operations: bool = False) -> dict:
        check_name(name)
        ops = check_operations(operations)
        if not ops and not all_operations:
            raise ValidationError("operations", "name at least one operation, or all operations")
        self.get(name)
        self.store.write(lambda conn: su.grant_txn(conn, name, ops, all_operations))
        return self.get(name)

    def disable(self, name: str) -> dict:
        self.get(check_name(name))
        self.store.write(lambda conn: su.set_disabled_txn(conn, name))
        return self.get(name)

    def set_password(self, name: str, password: str = "") -> tuple[dict, str]:
        self.get(check_name(name))
        generated = ""
        if password:
            check_password(password)
        else:
            password = generated = new_password()
        digest = HASHER.hash(password)
        self.store.write(lambda conn: su.set_password_txn(conn, name, digest))
        return self.get(name), generated

    def change_own_password(self, name: str, current: str, new: str) -> None:
        """A signed-in user's own change: the current password first (a wrong one counts as a failed
        sign-in), then the new one's length; every session of the user ends. Slow (Argon2id)."""
        user = self.get(check_name(name))
        now = self.clock.now().timestamp()
        try:
            HASHER.verify(user["password_hash"], current if len(current or "") <= MAX_PASSWORD else "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            self._failed(name, now)
            raise ValidationError("current", "wrong") from None
        check_password(new, "new")
        digest = HASHER.hash(new)
        self.store.write(lambda conn: su.set_password_txn(conn, name, digest))

    def totp_uri(self, name: str, secret: str) -> str:
        return pyotp.TOTP(secret).provisioning_uri(name=name, issuer_name=f"RILO Net {self.node_id}".strip())

    # -- login ------------------------------------------------------------------------------------

    def authenticate(self, name: str, password: str, code: str = "") -> dict:
        """The user, when the name, password (and code, where the user needs one) are right and the
        account is neither disabled, locked nor throttled; else LoginFailed, the same for every cause.
        Slow (Argon2id): not for an event loop."""
        now = self.clock.now().timestamp()
        user = su.get_user(self.store.reader, name) if isinstance(name, str) and NAME.fullmatch(name or "") else None
        if user is None:
            _spend(password)
            raise LoginFailed("unknown user")
        if len(password or "") > MAX_PASSWORD:  # refused, never cut (ASVS 2.1.3)
            self._failed(name, now)
            raise LoginFailed("password too long")
        if user["locked_until"] > now:
            raise LoginFailed("locked")
        if user["failed"] >= THROTTLE_AFTER:
            wait = min(THROTTLE_MAX, 2.0 ** (user["failed"] - THROTTLE_AFTER))
            if now - user["last_failed_at"] < wait:
                self._failed(name, now)
                raise LoginFailed("throttled")
        try:
            HASHER.verify(user["password_hash"], password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            self._failed(name, now)
            raise LoginFailed("wrong password") from None
        if user["disabled"]:
            raise LoginFailed("disabled")
        step = 0
        needs_code = bool(user["totp_secret"]) or (user["role"] == "admin" and self.admin_totp)
        if needs_code:
            if not user["totp_secret"]:
                raise LoginFailed("admin without a TOTP secret")
            step = self._code_step(user, code, now)
            if step is None:
                self._failed(name, now)
                raise LoginFailed("wrong code")
        self.store.write(lambda conn: su.login_ok_txn(conn, name, step))
        if HASHER.check_needs_rehash(user["password_hash"]):
            digest = HASHER.hash(password)
            self.store.write(lambda conn: conn.execute("UPDATE web_users SET password_hash = ? WHERE name = ?",
                                                       (digest, name)))
        return self.get(name)

    def _code_step(self, user: dict, code: str, now: float) -> int | None:
        """The time step of a valid code not used before (one step either side is accepted), or None."""
        code = (code or "").strip().replace(" ", "")
        if not re.fullmatch(r"\d{6}", code):
            return None
        totp = pyotp.TOTP(user["totp_secret"])
        here = int(now // totp.interval)
        for step in (here, here - 1, here + 1):
            if step > user["totp_last_step"] and secrets.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    def _failed(self, name: str, now: float) -> None:
        self.store.write(lambda conn: su.login_failed_txn(conn, name, now, LOCK_AFTER, LOCK_SECONDS))

    # -- sessions ---------------------------------------------------------------------------------

    def start_session(self, name: str) -> tuple[str, str]:
        """A new session for `name`: (session id for the cookie, CSRF token)."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock.now().timestamp()
        self.store.write(lambda conn: su.session_create_txn(conn, session_hash(sid), name, csrf, now))
        return sid, csrf

    def session(self, sid: str) -> tuple[dict, dict] | None:
        """(session, user) of a live session of an enabled user; None when unknown or expired."""
        if not sid or len(sid) > 100:
            return None
        key = session_hash(sid)
        sess = su.get_session(self.store.reader, key)
        if sess is None:
            return None
        now = self.clock.now().timestamp()
        if now - sess["seen"] > IDLE_SECONDS or now - sess["created"] > ABSOLUTE_SECONDS:
            self.store.write(lambda conn: su.session_delete_txn(conn, key))
            return None
        user = su.get_user(self.store.reader, sess["name"])
        if user is None or user["disabled"]:
            return None
        if now - sess["seen"] > SEEN_EVERY:
            self.store.submit(lambda conn: su.session_seen_txn(conn, key, now))
        return sess, user

    def end_session(self, sid: str) -> None:
        if sid:
            self.store.write(lambda conn: su.session_delete_txn(conn, session_hash(sid)))

    def expire_sessions(self) -> int:
        now = self.clock.now().timestamp()
        return self.store.write(lambda conn: su.sessions_expire_txn(conn, now - IDLE_SECONDS, now - ABSOLUTE_SECONDS))

    # -- access -------------------------------------------------------------------------------------

    @staticmethod
    def may_see_operation(user: dict, operation_id: str) -> bool:
        return bool(user["all_operations"]) or operation_id in user["operations"]


def _spend(password: str) -> None:
    try:
        HASHER.verify(_DUMMY_HASH, (password or "")[:MAX_PASSWORD])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass
