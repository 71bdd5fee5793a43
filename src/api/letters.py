"""Welcome letters: one PDF page per new user, with the one-time password.

The letters of a batch are kept only as AES-GCM ciphertext under a random key
that is returned once, to the administrator who made the batch, and stored
nowhere. The ciphertext expires with the one-time passwords it holds.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from uuid import UUID, uuid4

from anyascii import anyascii
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fpdf import FPDF
from sqlalchemy import Engine, LargeBinary, String, delete, select

from sema.side_tables import MOMENT, create_side_table, side_table

letter_batches_table = side_table(
    "sema_letter_batches",
    key={"batch_id": String(36)},
    required={"created_by": String(64), "ciphertext": LargeBinary, "expires_at": MOMENT},
)


@dataclass(frozen=True)
class Letter:
    first_name: str
    last_name: str
    organisation: str
    username: str
    address: str
    one_time_password: str
    expires_at: str


def render(letters: list[Letter], service_domain: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    for letter in letters:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 12, _latin1("Welcome to Secure eMail"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.ln(4)
        body = [
            f"Dear {letter.first_name} {letter.last_name},",
            "",
            f"An account has been created for you in {letter.organisation}.",
            "",
            f"Secure address:       {letter.address}",
            f"Username:             {letter.username}",
            f"One-time password:    {letter.one_time_password}",
            f"Valid until:          {letter.expires_at}",
            "",
            "At your first log-in you will choose your own password and answer three",
            "security questions. Keep this letter safe until then, and destroy it after.",
            "",
            f"Secure eMail service ({service_domain})",
        ]
        for line in body:
            pdf.cell(0, 7, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _latin1(text: str) -> str:
    """The core PDF fonts are Latin-1: a character beyond it is written in Latin
    letters, as the user's address spells it ("Łukasiewicz" as "Lukasiewicz",
    "李小龙" as "LiXiaoLong"), rather than as "?"."""
    return "".join(c if ord(c) < 256 else anyascii(c) or "?" for c in text)


class LetterStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_side_table(letter_batches_table, engine)

    def keep(self, letters: list[Letter], created_by: str, expires_at: datetime) -> tuple[UUID, str]:
        """Stores the batch encrypted; returns its id and the key (base64), which is not kept."""
        batch_id = uuid4()
        key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        # Its fields are text: the instance's own dict, not ``asdict``'s deep copy (10 ms of a bulk add of 500, issue 12).
        plaintext = json.dumps([vars(letter) for letter in letters]).encode()
        ciphertext = nonce + AESGCM(key).encrypt(nonce, plaintext, str(batch_id).encode())
        with self.engine.begin() as conn:
            conn.execute(letter_batches_table.insert().values(batch_id=str(batch_id), created_by=created_by, ciphertext=ciphertext, expires_at=expires_at))
        return batch_id, base64.urlsafe_b64encode(key).decode().rstrip("=")

    def open(self, batch_id: UUID, key: str, requested_by: str, at: datetime) -> list[Letter] | None:
        """The letters, for their creator holding the right key before expiry; else ``None``."""
        with self.engine.begin() as conn:
            row = conn.execute(select(letter_batches_table).where(letter_batches_table.c.batch_id == str(batch_id))).mappings().first()
            if row is None or row["created_by"] != requested_by:
                return None
            expires_at = row["expires_at"] if row["expires_at"].tzinfo else row["expires_at"].replace(tzinfo=timezone.utc)
            if at >= expires_at:
                conn.execute(delete(letter_batches_table).where(letter_batches_table.c.batch_id == str(batch_id)))
                return None
        try:
            raw_key = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
            if len(raw_key) != 32:
                return None
            blob = row["ciphertext"]
            plaintext = AESGCM(raw_key).decrypt(blob[:12], blob[12:], str(batch_id).encode())
        except (InvalidTag, ValueError):
            return None
        return [Letter(**item) for item in json.loads(plaintext)]

    def purge_expired(self, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(letter_batches_table).where(letter_batches_table.c.expires_at <= at))
