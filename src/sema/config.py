"""Configuration from ``SEMA_*`` environment variables (the CLI's flags set the same fields)."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from sema.credentials import Argon2Parameters


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEMA_", extra="ignore")

    data_dir: Path = Path("sema-data")
    database_url: str | None = Field(None, description="sqlite:///path or postgresql://…; default: SQLite in data_dir")
    secret_key: str | None = Field(None, description="base64 of >= 32 random bytes; default: a key file in data_dir")
    service_domain: str = "cjsm.net"

    # Argon2's own bounds: at least one pass and one lane, at least 8 KiB of memory a lane.
    argon2_time_cost: int = Field(3, ge=1)
    argon2_memory_cost: int = Field(65536, ge=8, description="KiB")
    argon2_parallelism: int = Field(4, ge=1, le=2**24 - 1)

    max_failed_log_ins: int = Field(20, ge=1, description="failed log-ins in a row that lock the account until an administrator unlocks it")
    max_failed_challenges: int = 3
    one_time_password_days: int = 14
    challenge_minutes: int = 10
    challenge_letters: int = 3
    passed_challenge_valid_minutes: int = 30
    exceptional_access_days: int = 30
    sqlite_lock_timeout_s: float = 30.0
    aggregate_cache_size: int = Field(10_000, ge=0, description="aggregates kept in memory between commands (each still reads the events recorded since); 0: none")

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
    mail_system_token: str | None = Field(None, min_length=32, description="the mail system's bearer token for GET /routing (>= 32 random characters); unset: only administrators")
    allowed_hosts: str = Field("", description="comma-separated Host header values served (sema.example.org, *.example.org, * for any); empty: localhost and the bind address")
    hsts_seconds: int = Field(31_536_000, ge=0, description="Strict-Transport-Security max-age on requests that came over TLS (via uvicorn or a proxy's X-Forwarded-Proto); 0: none")
    http_header_timeout_s: float = Field(10.0, gt=0, description="a connection must send a complete request head within this long (trickling does not extend it)")
    http_keep_alive_s: int = Field(5, ge=1, description="an idle keep-alive connection is closed after this long")
    http_max_connections: int = Field(200, ge=1, description="concurrent connections and tasks; beyond it new requests get 503")
    http_max_header_bytes: int = Field(16_384, ge=1024, description="the largest request head (request line and headers) accepted")
    # Log-in throttling (sema.throttle, docs/adr/0013): failures beyond the free
    # ones make the next attempt wait, doubling from the first delay to the longest.
    log_in_free_failures: int = Field(3, ge=0, description="failed log-ins per username before each next attempt must wait")
    log_in_free_failures_per_client: int = Field(5, ge=0, description="failed log-ins per client address before each next attempt must wait")
    log_in_first_delay_s: float = Field(1.0, gt=0)
    log_in_longest_delay_s: float = Field(900.0, gt=0)
    # At most this many password hashes are computed at once (each uses argon2_parallelism
    # threads), so a log-in storm leaves the other requests their CPU.
    argon2_concurrency: int = Field(1, ge=1)
    secret_key_file: Path | None = Field(None, description="the key file; default: secret.key in data_dir (keep it elsewhere in production)")
    # The mail system (sema mail-config, sema mail-policy; docs/adr/0040-0041).
    mail_root: Path = Field(Path("/var/vmail"), description="where Dovecot keeps the Maildirs, one folder per mailbox id")
    mail_policy_host: str = Field("127.0.0.1", description="where sema mail-policy listens for Dovecot's log-in reports")
    mail_policy_port: int = Field(8025, ge=1, le=65535)
    mail_lookup_user: str | None = Field(None, description="PostgreSQL: the read-only account Postfix and Dovecot use; default: the store URL's")
    mail_lookup_password: str | None = None

    def served_hosts(self) -> tuple[str, ...]:
        """The Host values the API answers: the configured ones, or loopback names and the bind address."""
        configured = tuple(h.strip() for h in self.allowed_hosts.split(",") if h.strip())
        if configured:
            return configured
        local = ("localhost", "127.0.0.1", "::1", "[::1]")
        return local if self.host in ("0.0.0.0", "::", *local) else (*local, self.host)

    # SQLite in WAL mode: "normal" syncs at checkpoints, not every commit (ADR 33):
    # safe against a crash of sema; a power cut may lose the last commits, never corrupt.
    sqlite_synchronous: Literal["normal", "full"] = Field("normal", description="SQLite durability: normal (WAL, fast) or full (sync every commit)")
    rebuild_processes: int = Field(2, ge=1, description="processes a rebuild of the read models fills them in, split by measured cost (ADR 58); 1: one process")

    # false: commands keep only the principals read model; `sema projections run` keeps the rest (README: Running in production).
    inline_read_models: bool = Field(True, description="keep the read models in each command's transaction (false: a follower keeps them)")

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
            if self.database_url.startswith("sqlite:///"):
                private_file(Path(self.database_url.removeprefix("sqlite:///").split("?", 1)[0]))
            return self.database_url
        path = private_dir(self.data_dir) / "sema.db"
        private_file(path)
        return f"sqlite:///{path.resolve()}"

    @field_validator("argon2_parallelism")
    @classmethod
    def _memory_for_every_lane(cls, parallelism: int, info: ValidationInfo) -> int:
        memory = info.data.get("argon2_memory_cost")
        if memory is not None and memory < 8 * parallelism:
            raise ValueError(f"Argon2 needs at least 8 KiB of memory a lane: with SEMA_ARGON2_MEMORY_COST={memory}, at most {memory // 8}")
        return parallelism

    @field_validator("database_url")
    @classmethod
    def _a_store_we_know(cls, url: str | None) -> str | None:
        if not url:
            return url
        try:
            backend = make_url(url).get_backend_name()
        except ArgumentError:
            raise ValueError("not a database URL: sqlite:///path/to/sema.db or postgresql://user@host:port/database") from None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(f"sema keeps its store in SQLite or PostgreSQL, not {backend}")
        return url

    @field_validator("secret_key")
    @classmethod
    def _a_key_of_32_bytes(cls, key: str | None) -> str | None:
        if key:
            decode_key(key, "the key")
        return key

    def store_shown(self) -> str:
        """Where the store is, to show a person: the database URL without its password, or the data directory."""
        if self.database_url:  # a URL: the validator below made sure
            return make_url(self.database_url).render_as_string(hide_password=True)
        return str(self.data_dir)

    def secret_key_source(self) -> str:
        """Where the key comes from, to name it in a message."""
        if self.secret_key:
            return "SEMA_SECRET_KEY"
        return f"the key file {self.secret_key_file or self.data_dir / 'secret.key'}"

    def resolved_secret_key(self) -> bytes:
        """The configured key, or the key file (``secret_key_file``, else
        ``secret.key`` in the data directory), created once, private to us."""
        if self.secret_key:
            return decode_key(self.secret_key, "SEMA_SECRET_KEY")
        path = self.secret_key_file or private_dir(self.data_dir) / "secret.key"
        if not path.exists():
            private_dir(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(base64.urlsafe_b64encode(os.urandom(32)).decode())
        return decode_key(path.read_text().strip(), f"the key file {path}")


class ConfigurationError(ValueError):
    """A setting, or a file it names, that cannot work: the command line says which, without a traceback."""


def decode_key(text: str, source: str) -> bytes:
    """A secret key from its base64 (padding optional); a ``ValueError`` naming ``source`` if it is not one."""
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise ConfigurationError(f"{source} is not base64: make one with: python3 -c 'import os, base64; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'") from None
    if len(key) < 32:
        raise ConfigurationError(f"{source} holds {len(key)} bytes: a key needs at least 32 random bytes")
    return key


def private_dir(path: Path) -> Path:
    """The directory, made if missing, readable by us alone (0700)."""
    if path.exists() and not path.is_dir():
        raise ConfigurationError(f"{path} is not a directory")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> None:
    """A SQLite database file readable by us alone (0600), made empty if missing.
    SQLite gives its -wal and -shm files the database file's permissions."""
    if str(path) in ("", ":memory:"):
        return
    if not path.exists():
        if not path.parent.exists():
            private_dir(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)
