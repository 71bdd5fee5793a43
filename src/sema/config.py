"""Configuration from ``SEMA_*`` environment variables (the CLI's flags set the same fields)."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from sema.credentials import Argon2Parameters


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEMA_", extra="ignore")

    data_dir: Path = Path("sema-data")
    database_url: str | None = Field(None, description="sqlite:///path or postgresql://…; default: SQLite in data_dir")
    secret_key: str | None = Field(None, description="base64 of >= 32 random bytes; default: a key file in data_dir")
    service_domain: str = "cjsm.net"

    argon2_time_cost: int = 3
    argon2_memory_cost: int = 65536
    argon2_parallelism: int = 4

    max_failed_log_ins: int = Field(20, ge=1, description="failed log-ins in a row that lock the account until an administrator unlocks it")
    max_failed_challenges: int = 3
    one_time_password_days: int = 14
    challenge_minutes: int = 10
    challenge_letters: int = 3
    passed_challenge_valid_minutes: int = 30
    exceptional_access_days: int = 30
    sqlite_lock_timeout_s: float = 30.0

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    session_idle_minutes: float = Field(30.0, gt=0)
    session_absolute_hours: float = Field(8.0, gt=0)

    # Time-based policies and outbound mail (policies.runner, policies.mailer).
    smtp_url: str | None = Field(None, description="smtp://[user:password@]host[:port], smtp+starttls://… or smtps://…; unset: mail waits in the outbox")
    mail_from: str = Field("no-reply@cjsm.net", description="the From address of the service's notices")
    smtp_timeout_s: float = 10.0
    mail_retry_initial_s: float = 30.0
    mail_retry_max_s: float = 3600.0
    mail_lease_s: float = 300.0
    policy_interval_s: float = 60.0
    policies_in_server: bool = True

    log_format: Literal["auto", "json", "console"] = Field("auto", description="auto: readable on a terminal, JSON lines otherwise")
    log_level: Literal["debug", "info", "warning", "error"] = "info"

    # HTTP hardening (api.app, cli.serve).
    mail_system_token: str | None = Field(None, description="the mail system's bearer token for GET /routing (>= 32 random characters); unset: only administrators")
    # Log-in throttling (sema.throttle, docs/adr/0013): failures beyond the free
    # ones make the next attempt wait, doubling from the first delay to the longest.
    log_in_free_failures: int = Field(3, ge=0, description="failed log-ins per username before each next attempt must wait")
    log_in_free_failures_per_client: int = Field(10, ge=0, description="failed log-ins per client address before each next attempt must wait")
    log_in_first_delay_s: float = Field(1.0, gt=0)
    log_in_longest_delay_s: float = Field(900.0, gt=0)
    # At most this many password hashes are computed at once, so a log-in storm leaves the other requests their CPU.
    argon2_concurrency: int = Field(2, ge=1)
    secret_key_file: Path | None = Field(None, description="the key file; default: secret.key in data_dir (keep it elsewhere in production)")

    @property
    def argon2(self) -> Argon2Parameters:
        return Argon2Parameters(self.argon2_time_cost, self.argon2_memory_cost, self.argon2_parallelism, self.argon2_concurrency)

    @property
    def one_time_password_lifetime(self) -> timedelta:
        return timedelta(days=self.one_time_password_days)

    @property
    def challenge_lifetime(self) -> timedelta:
        return timedelta(minutes=self.challenge_minutes)

    @property
    def passed_challenge_validity(self) -> timedelta:
        return timedelta(minutes=self.passed_challenge_valid_minutes)

    @property
    def exceptional_access_lifetime(self) -> timedelta:
        return timedelta(days=self.exceptional_access_days)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'sema.db').resolve()}"

    def resolved_secret_key(self) -> bytes:
        """The configured key, or a key file created once in the data directory."""
        if self.secret_key:
            return base64.urlsafe_b64decode(self.secret_key + "=" * (-len(self.secret_key) % 4))
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
        return base64.urlsafe_b64decode(path.read_text().strip())
