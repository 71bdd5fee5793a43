"""``Idempotency-Key`` on POST commands (IETF httpapi draft "The Idempotency-Key
HTTP Header Field"): a retried request gets the stored response and changes
nothing twice.

A bulk add's one-time passwords and letters key exist only in its response; if
that response is lost after the commit, a retry with the same key returns it
again instead of creating the users a second time. Keys are scoped to the
caller (the same key from two administrators is two keys) and kept for
``LIFETIME``. The stored response is AES-GCM ciphertext under a key derived
from the server's secret *and* the client's idempotency key, so neither a copy
of the database with the key file nor one without the client's key reads it.

- same key, same request, finished: the stored response, ``Idempotent-Replayed: true``;
- same key, different request: 422 (the key was already used for something else);
- same key while the first request still runs: 409;
- a request that failed (any error) changed nothing: its key is released.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel
from sqlalchemy import Engine, Integer, LargeBinary, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from starlette.requests import Request
from starlette.responses import Response

from api.inputs import Upload
from api.problems import ApiProblem
from sema.side_tables import MOMENT, create_side_table, side_table

HEADER = "idempotency-key"
LIFETIME = timedelta(hours=24)
RUNNING, DONE = "running", "done"
# The draft's key is a Structured Field string; a bare token is accepted too.
_KEY = re.compile(r'^"?([\x21\x23-\x5b\x5d-\x7e]{1,255})"?$')

idempotency_table = side_table(
    "sema_idempotency_keys",
    key={"key_id": String(64)},  # SHA-256 of caller and key: the key itself is not kept
    required={"fingerprint": String(64), "state": String(10), "expires_at": MOMENT},
    optional={"status": Integer, "media_type": String(100), "ciphertext": LargeBinary},
)


def key_of(request: Request) -> str | None:
    """The request's idempotency key; ``None`` without the header; 400 if malformed."""
    given = request.headers.get(HEADER)
    if given is None:
        return None
    match = _KEY.match(given.strip())
    if match is None:
        raise ApiProblem(400, "malformed-idempotency-key", "Bad request", "Idempotency-Key must be 1-255 visible ASCII characters, optionally in double quotes", errors=[{"field": "header.Idempotency-Key", "message": "malformed"}])
    return match.group(1)


def fingerprint(method: str, path: str, query: BaseModel | None, body: BaseModel | None, upload: Upload | None) -> str:
    """What makes two requests "the same": method, path, and the query and body as parsed
    (so a retry whose JSON is spaced differently, or whose multipart boundary is new, is the same)."""
    content: Any = [model.model_dump(mode="json") if model is not None else None for model in (query, body)]
    if upload is not None:
        content.append([upload.media_type, hashlib.sha256(upload.content).hexdigest(), upload.fields])
    canonical = json.dumps([method, path, content], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Reservation:
    key_id: str
    key: str


class IdempotencyStore:
    def __init__(self, engine: Engine, secret_key: bytes) -> None:
        self.engine = engine
        self._secret = secret_key
        create_side_table(idempotency_table, engine)

    def begin(self, caller: str, key: str, request_fingerprint: str, at: datetime) -> Reservation | Response:
        """Reserves the key for this request, or returns the stored response; raises 409/422."""
        key_id = hashlib.sha256(f"{caller}\x00{key}".encode()).hexdigest()
        table = idempotency_table
        with self.engine.begin() as conn:
            conn.execute(delete(table).where(table.c.key_id == key_id, table.c.expires_at <= at))
        try:
            with self.engine.begin() as conn:
                conn.execute(table.insert().values(key_id=key_id, fingerprint=request_fingerprint, state=RUNNING, expires_at=at + LIFETIME))
            return Reservation(key_id, key)
        except IntegrityError:
            pass
        with self.engine.connect() as conn:
            row = conn.execute(select(table).where(table.c.key_id == key_id)).mappings().first()
        if row is None:  # finished and released (it failed) between our insert and this read
            raise ApiProblem(409, "idempotency-key-in-use", "Conflict", "a request with this Idempotency-Key has just ended; send it again")
        if row["fingerprint"] != request_fingerprint:
            raise ApiProblem(422, "idempotency-key-reused", "Unprocessable request", "this Idempotency-Key was used for a different request; use a new key", errors=[{"field": "header.Idempotency-Key", "message": "already used for a different request"}])
        if row["state"] == RUNNING:
            raise ApiProblem(409, "idempotency-key-in-use", "Conflict", "a request with this Idempotency-Key is still being processed; retry later", headers={"Retry-After": "1"})
        body = self._cipher(key).decrypt(row["ciphertext"][:12], row["ciphertext"][12:], key_id.encode())
        return Response(body, status_code=row["status"], media_type=row["media_type"], headers={"Idempotent-Replayed": "true"})

    def finish(self, reservation: Reservation, response: Response) -> None:
        """Keeps the response of the request that held the reservation."""
        nonce = os.urandom(12)
        ciphertext = nonce + self._cipher(reservation.key).encrypt(nonce, bytes(response.body), reservation.key_id.encode())
        table = idempotency_table
        with self.engine.begin() as conn:
            conn.execute(
                update(table)
                .where(table.c.key_id == reservation.key_id)
                .values(state=DONE, status=response.status_code, media_type=response.media_type, ciphertext=ciphertext)
            )

    def release(self, reservation: Reservation) -> None:
        """The request failed and changed nothing: the key may be used again."""
        with self.engine.begin() as conn:
            conn.execute(delete(idempotency_table).where(idempotency_table.c.key_id == reservation.key_id))

    def purge_expired(self, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(idempotency_table).where(idempotency_table.c.expires_at <= at))

    def _cipher(self, key: str) -> AESGCM:
        return AESGCM(HKDF(algorithm=hashes.SHA256(), length=32, salt=key.encode(), info=b"sema idempotent response").derive(self._secret))
