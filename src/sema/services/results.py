"""What commands return, as the API returns it (one model per shape)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.actors import Actor, Role


class Result(BaseModel):
    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)


class CreatedUser(Result):
    row: int = Field(description="the 1-based row of the add (CSV data row or JSON list item)")
    user_id: UUID
    username: str
    address: str
    aliases: list[str]
    mailbox_id: UUID | None
    one_time_password: str | None = Field(description="shown once; null in a dry run")
    one_time_password_expires_at: datetime


class Outcome(Result):
    """Per-user result of a multiple change."""

    user_id: UUID
    result: Literal["changed", "already_so", "refused"]
    reason: str | None = None


class LogInResult(Result):
    user_id: UUID
    username: str
    organisation_id: UUID
    role: Role
    must_change_password: bool
    must_set_security_information: bool

    def actor(self, request_id: str | None = None) -> Actor:
        return Actor(id=str(self.user_id), role=self.role, organisation_id=self.organisation_id, request_id=request_id)


class ChallengePrompt(Result):
    challenge_id: UUID
    positions: list[tuple[str, int]]
    expires_at: datetime
