"""Credential material, kept out of the event stream.

Auditors receive the whole event stream, so password hashes, one-time-password
digests and security answers live here instead: one row per (subject, kind) in
``sema_credentials``, written in the same database transaction as the events
of the command that changes them (see docs/adr/0003).

- User-chosen passwords: argon2id (slow on purpose; they may be guessable).
- One-time passwords: HMAC-SHA256 under a server key. They are random with
  ~60 bits of entropy, so a fast keyed hash is enough, and a bulk add of 500
  users stays well under a second.
- Security answers: AES-GCM under a server key, because single letters must be
  checked; the subject id is the associated data, so rows cannot be swapped.
"""

from __future__ import annotations

import hmac
import json
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from hashlib import sha256
from uuid import UUID

from anyascii import anyascii
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.exceptions import InvalidTag
from sqlalchemy import Engine, LargeBinary, String, delete, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from domain.errors import InvalidValue
from sema.side_tables import MOMENT, side_table

credentials_table = side_table(
    "sema_credentials",
    key={"subject_id": String(36), "kind": String(16)},
    required={"secret": LargeBinary, "updated_at": MOMENT},
)

PASSWORD = "password"
ONE_TIME_PASSWORD = "otp"
SECURITY_ANSWERS = "answers"

# No 0/O, 1/l/I: one-time passwords are read off paper letters.
OTP_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
OTP_GROUPS, OTP_GROUP_LENGTH = 3, 4  # 12 characters, 60 bits
_OTP_BITS = 5  # bits a character: the alphabet's size is 2 ** 5
assert len(OTP_ALPHABET) == 1 << _OTP_BITS
MIN_PASSWORD_LENGTH = 10
MIN_ANSWER_LETTERS = 3


class SecretSource:
    """Randomness for generated secrets and challenge positions; tests may seed it."""

    def __init__(self, rng: secrets.SystemRandom | None = None) -> None:
        self.rng = rng or secrets.SystemRandom()

    def one_time_password(self) -> str:
        # The alphabet has 32 characters, so each 5 bits of one draw pick one uniformly: a
        # draw per character read the system's randomness 12 times (37 µs a password, 18 ms
        # of a bulk add of 500; issue 12).
        length = OTP_GROUPS * OTP_GROUP_LENGTH
        bits = self.rng.getrandbits(_OTP_BITS * length)
        chars = [OTP_ALPHABET[(bits >> (_OTP_BITS * i)) & (len(OTP_ALPHABET) - 1)] for i in range(length)]
        return "-".join("".join(chars[i : i + OTP_GROUP_LENGTH]) for i in range(0, length, OTP_GROUP_LENGTH))


def normalise_answer(answer: str) -> str:
    """Letters and digits only, upper-case ASCII: what a person spells out on the phone."""
    return "".join(c for c in anyascii(answer).upper() if c.isalnum())


def check_new_password(field: str, password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue(field, f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise InvalidValue(field, "must not contain the username")
    if len(set(password)) < 4:
        raise InvalidValue(field, "is too simple")


def check_answers(answers: dict[str, str]) -> dict[str, str]:
    normalised = {}
    for question, answer in answers.items():
        value = normalise_answer(answer)
        if len(value) < MIN_ANSWER_LETTERS:
            raise InvalidValue(f"security_answers.{question}", f"must have at least {MIN_ANSWER_LETTERS} letters or digits")
        normalised[question] = value
    for question, value in normalised.items():
        # Letters are asked from two answers or more, so that knowing one is not enough.
        if list(normalised.values()).count(value) > 1:
            raise InvalidValue(f"security_answers.{question}", "must differ from your other answers")
    return normalised


@dataclass(frozen=True)
class Argon2Parameters:
    time_cost: int = 3
    memory_cost: int = 65536
    parallelism: int = 4
    concurrency: int = 1  # hashes computed at once, at most

def same_text(given: str, expected: str) -> bool:
    """Whether two texts are equal, compared in constant time. ``hmac.compare_digest``
    raises ``TypeError`` on ``str`` with non-ASCII characters, and a client chooses ``given``."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


# The fingerprint of the key the store's secrets are made with (one row): a process
# with another key is refused at start rather than failing every log-in and challenge.
key_check_table = side_table("sema_key_check", key={"name": String(16)}, required={"fingerprint": LargeBinary})


class WrongKey(Exception):
    """The secret key is not the one this store's secrets were made with."""


class CredentialStore:
    def __init__(self, secret_key: bytes, argon2: Argon2Parameters = Argon2Parameters()) -> None:
        if len(secret_key) < 32:
            raise ValueError("the secret key must be at least 32 bytes")
        self._otp_key = _derive(secret_key, b"sema one-time passwords")
        self._fingerprint = _derive(secret_key, b"sema key check")
        self._answers = AESGCM(_derive(secret_key, b"sema security answers"))
        self._hasher = PasswordHasher(
            time_cost=argon2.time_cost, memory_cost=argon2.memory_cost, parallelism=argon2.parallelism
        )
        # Bounds the CPU a log-in storm can take: hashes run on these few threads only,
        # at the lowest CPU priority, and requests beyond them wait their turn.
        self._argon2_pool = ThreadPoolExecutor(argon2.concurrency, thread_name_prefix="argon2", initializer=_lowest_priority)
        self._dummy: str | None = None  # made on first use: commands that never log anyone in never pay for it

    def close(self) -> None:
        self._argon2_pool.shutdown(wait=False)

    def check_key(self, engine: Engine) -> None:
        """Raises :class:`WrongKey` unless this key is the store's: the one whose fingerprint
        the store keeps, or, for a store without one yet (new, or made before the check),
        one that opens its stored security answers; then the fingerprint is kept. Called
        under the start-up lock (ADR 69), so no two processes record one at once."""
        t = key_check_table.c
        with engine.begin() as connection:
            held = connection.execute(select(t.fingerprint).where(t.name == "secret")).scalar_one_or_none()
            if held is not None:
                if not hmac.compare_digest(bytes(held), self._fingerprint):
                    raise WrongKey("its fingerprint differs from the one the store keeps")
                return
            self._open_one_answer(connection)
            connection.execute(insert(key_check_table).values(name="secret", fingerprint=self._fingerprint))

    def _open_one_answer(self, connection: Any) -> None:
        c = credentials_table.c
        row = connection.execute(select(c.subject_id, c.secret).where(c.kind == SECURITY_ANSWERS).limit(1)).first()
        if row is None:
            return
        blob = bytes(row.secret)
        try:
            self._answers.decrypt(blob[:12], blob[12:], row.subject_id.encode())
        except InvalidTag:
            raise WrongKey("it does not open the security answers the store holds") from None

    # writing (inside the command's transaction)

    def hash_password(self, password: str) -> bytes:
        """The argon2id hash to store; slow on purpose, so callers hash before their transaction."""
        return self._argon2_pool.submit(self._hasher.hash, password).result().encode()

    def set_password(self, session: Session, subject_id: UUID, password_hash: bytes, at: datetime) -> None:
        """Stores a hash from :meth:`hash_password`; the one-time password stops working."""
        self._put(session, subject_id, PASSWORD, password_hash, at)
        self._delete(session, subject_id, ONE_TIME_PASSWORD)

    def one_time_password_row(self, subject_id: UUID, otp: str, at: datetime) -> dict[str, object]:
        return {"subject_id": str(subject_id), "kind": ONE_TIME_PASSWORD, "secret": self._otp_digest(otp), "updated_at": at}

    def set_one_time_passwords(self, session: Session, rows: list[dict[str, object]]) -> None:
        """A new one-time password replaces the old password: it stops working."""
        if not rows:
            return
        ids = [r["subject_id"] for r in rows]
        session.execute(delete(credentials_table).where(credentials_table.c.subject_id.in_(ids), credentials_table.c.kind.in_([PASSWORD, ONE_TIME_PASSWORD])))
        session.execute(credentials_table.insert(), rows)

    def set_answers(self, session: Session, subject_id: UUID, answers: dict[str, str], at: datetime) -> None:
        nonce = os.urandom(12)
        plain = json.dumps(check_answers(answers), sort_keys=True).encode()
        self._put(session, subject_id, SECURITY_ANSWERS, nonce + self._answers.encrypt(nonce, plain, str(subject_id).encode()), at)

    def clear_answers(self, session: Session, subject_id: UUID) -> None:
        self._delete(session, subject_id, SECURITY_ANSWERS)

    def forget_one_time_password(self, session: Session, subject_id: UUID) -> None:
        self._delete(session, subject_id, ONE_TIME_PASSWORD)

    def forget(self, session: Session, subject_id: UUID) -> None:
        session.execute(delete(credentials_table).where(credentials_table.c.subject_id == str(subject_id)))

    # checking

    def verify_password(self, session: Session, subject_id: UUID, password: str) -> str | None:
        """Which credential matched: ``"password"``, ``"otp"`` or ``None``.

        Exactly one argon2 verification whatever the account holds (a user
        with only a one-time password is verified against a dummy hash), so
        the time taken tells nothing about the account."""
        rows = dict(
            session.execute(
                select(credentials_table.c.kind, credentials_table.c.secret).where(credentials_table.c.subject_id == str(subject_id))
            ).all()
        )
        if PASSWORD in rows:
            if self._argon2_matches(bytes(rows[PASSWORD]).decode(), password):
                return PASSWORD
        else:
            self.burn_time_as_if_verifying()
        if ONE_TIME_PASSWORD in rows and hmac.compare_digest(bytes(rows[ONE_TIME_PASSWORD]), self._otp_digest(password)):
            return ONE_TIME_PASSWORD
        return None

    def is_one_time_password(self, session: Session, subject_id: UUID, password: str) -> bool:
        """Whether ``password`` is the subject's one-time password (a keyed hash: no argon2 to pay)."""
        digest = session.execute(
            select(credentials_table.c.secret).where(credentials_table.c.subject_id == str(subject_id), credentials_table.c.kind == ONE_TIME_PASSWORD)
        ).scalar_one_or_none()
        return digest is not None and hmac.compare_digest(bytes(digest), self._otp_digest(password))

    def burn_time_as_if_verifying(self) -> None:
        """Unknown usernames cost as much as wrong passwords, so timing leaks nothing."""
        if self._dummy is None:
            self._dummy = self.hash_password(secrets.token_hex(16)).decode()
        self._argon2_matches(self._dummy, "not the password")

    def _argon2_matches(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._argon2_pool.submit(self._hasher.verify, password_hash, password).result())
        except (VerificationError, InvalidHashError):
            return False

    def answer_lengths(self, session: Session, subject_id: UUID) -> dict[str, int]:
        return {q: len(a) for q, a in self._read_answers(session, subject_id).items()}

    def unchanged_answers(self, session: Session, subject_id: UUID, answers: dict[str, str]) -> dict[str, int]:
        """Of ``answers`` (normalised), those the subject has now for the same question, each with its length."""
        current = self._read_answers(session, subject_id)
        return {q: len(a) for q, a in answers.items() if q in current and hmac.compare_digest(current[q].encode(), a.encode())}

    def letters_match(self, session: Session, subject_id: UUID, positions: list[tuple[str, int]], letters: list[str]) -> bool:
        answers = self._read_answers(session, subject_id)
        if len(letters) != len(positions):
            return False
        expected = "".join(answers[q][p - 1] for q, p in positions)
        given = "".join(normalise_answer(letter)[:1] or "?" for letter in letters)
        return hmac.compare_digest(expected.encode(), given.encode())

    def _read_answers(self, session: Session, subject_id: UUID) -> dict[str, str]:
        blob = session.execute(
            select(credentials_table.c.secret).where(
                credentials_table.c.subject_id == str(subject_id), credentials_table.c.kind == SECURITY_ANSWERS
            )
        ).scalar_one_or_none()
        if blob is None:
            return {}
        blob = bytes(blob)
        return json.loads(self._answers.decrypt(blob[:12], blob[12:], str(subject_id).encode()))

    def _otp_digest(self, otp: str) -> bytes:
        canonical = otp.replace("-", "").replace(" ", "").upper()
        return hmac.new(self._otp_key, canonical.encode(), sha256).digest()

    def _put(self, session: Session, subject_id: UUID, kind: str, secret: bytes, at: datetime) -> None:
        values = {"subject_id": str(subject_id), "kind": kind, "secret": secret, "updated_at": at}
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        statement = insert(credentials_table).values(**values)
        session.execute(statement.on_conflict_do_update(index_elements=["subject_id", "kind"], set_={"secret": secret, "updated_at": at}))

    def _delete(self, session: Session, subject_id: UUID, kind: str) -> None:
        session.execute(
            delete(credentials_table).where(credentials_table.c.subject_id == str(subject_id), credentials_table.c.kind == kind)
        )


def _lowest_priority() -> None:
    """This thread, and the threads argon2 starts from it, yield the CPU to every
    other request (Linux: niceness is per thread and inherited)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass  # elsewhere the pool's size alone bounds the work


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)
