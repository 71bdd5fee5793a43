"""Configuration fragments that connect Postfix and Dovecot to sema's store.

:func:`write_postfix` writes one ``*.cf`` map file per look-up and a
``main.cf.sema`` with the parameters that use them; :func:`write_dovecot`
writes the SQL files, a global ACL file and ``sema.conf`` to ``!include``.
``sema mail-config`` calls both for the deployment's store; the mail tests
call them too and add the few settings a private instance needs.
"""

from __future__ import annotations

import hmac
import os
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from sqlalchemy.engine import make_url

from mail.lookups import ACL_RIGHTS, dovecot_queries, postfix_queries

POLICY_PATH = "/dovecot/auth-policy"
POLICY_HEADER = "X-Sema-Mail-Key"


def policy_key(secret_key: bytes) -> str:
    """The shared key Dovecot sends to sema's auth-policy listener, derived from sema's secret key."""
    return hmac.new(secret_key, b"sema dovecot auth policy", sha256).hexdigest()


def write_private(path: Path, text: str, mode: int) -> None:
    """Write ``text`` to ``path`` readable only as ``mode`` allows (0o600, 0o640), from its
    creation on: the files hold the store's password or the policy key."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as file:
        os.fchmod(fd, mode)  # an existing file keeps its mode through os.open
        file.write(text)


@dataclass(frozen=True)
class Store:
    """Where the look-ups connect: a SQLite file, or a PostgreSQL database."""

    dialect: str
    sqlite_path: str = ""
    host: str = ""
    port: int = 5432
    dbname: str = ""
    user: str = ""
    password: str = ""

    @classmethod
    def from_url(cls, url: str, user: str | None = None, password: str | None = None) -> Store:
        """``user``/``password``: the read-only account the mail servers use, if not the URL's."""
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite":
            if not parsed.database:
                raise ValueError("the mail servers need a SQLite file, not an in-memory store")
            return cls("sqlite", sqlite_path=str(Path(parsed.database).resolve()))
        if parsed.get_backend_name() == "postgresql":
            return cls(
                "postgresql",
                host=parsed.host or "localhost",
                port=parsed.port or 5432,
                dbname=parsed.database or "",
                user=user or parsed.username or "",
                password=password if password is not None else (parsed.password or ""),
            )
        raise ValueError(f"no mail look-ups for a {parsed.get_backend_name()} store")


def write_postfix(directory: Path, store: Store, lmtp: str, sasl: str) -> dict[str, Path]:
    """The map files and ``main.cf.sema``; ``lmtp``: Dovecot's LMTP socket as Postfix
    names it (``unix:/path`` or ``inet:host:port``), ``sasl``: Dovecot's auth socket."""
    directory.mkdir(parents=True, exist_ok=True)
    kind = "sqlite" if store.dialect == "sqlite" else "pgsql"
    if store.dialect == "sqlite":
        connection = f"dbpath = {store.sqlite_path}\n"
    else:
        connection = f"hosts = {store.host}:{store.port}\nuser = {store.user}\npassword = {store.password}\ndbname = {store.dbname}\n"
    written = {}
    for name, query in postfix_queries().items():
        path = directory / f"sema-{name}.cf"
        write_private(path, f"# Written by sema mail-config.\n{connection}query = {query}\n", 0o640)
        written[name] = path

    def map_of(name: str) -> str:
        return f"{kind}:{written[name]}"

    main = f"""# Written by sema mail-config: add to main.cf (postconf -e, or paste).
virtual_mailbox_domains = {map_of('domains')}
virtual_alias_maps = {map_of('aliases')}
virtual_mailbox_maps = {map_of('mailboxes')}
virtual_transport = lmtp:{lmtp}
smtpd_sasl_type = dovecot
smtpd_sasl_path = {sasl}
smtpd_sasl_auth_enable = yes
smtpd_sender_login_maps = {map_of('senders')}
smtpd_sender_restrictions = reject_sender_login_mismatch
smtpd_recipient_restrictions = check_recipient_access {map_of('recipient_access')}, reject_unlisted_recipient, permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination
"""
    written["main"] = directory / "main.cf.sema"
    written["main"].write_text(main)
    return written


def write_dovecot(directory: Path, store: Store, mail_root: Path, policy_url: str, key: str, postfix_spool: Path | None = None) -> dict[str, Path]:
    """The SQL files, the global ACL file and ``sema.conf`` (passdbs, userdb, ACLs,
    the log-in reports); with ``postfix_spool``, also the LMTP and SASL sockets
    for Postfix in its ``private`` directory (Debian's layout)."""
    directory.mkdir(parents=True, exist_ok=True)
    if store.dialect == "sqlite":
        driver, connect = "sqlite", store.sqlite_path
    else:
        driver = "pgsql"
        connect = f"host={store.host} port={store.port} dbname={store.dbname} user={store.user}" + (f" password={store.password}" if store.password else "")
    queries = dovecot_queries(store.dialect, str(mail_root))
    written = {}
    for name, setting in [("password", "password_query"), ("master", "password_query"), ("user", "user_query")]:
        path = directory / f"sema-{name}.conf.ext"
        write_private(path, f"# Written by sema mail-config.\ndriver = {driver}\nconnect = {connect}\ndefault_pass_scheme = ARGON2ID\n{setting} = {queries[name]}\n", 0o600)
        written[name] = path
    acl = directory / "sema-acl"
    acl.write_text("".join(f"* {who} {rights}\n" for who, rights in ACL_RIGHTS.items()))
    written["acl"] = acl
    conf = f"""# Written by sema mail-config: !include this file from dovecot.conf.
auth_master_user_separator = *
auth_mechanisms = plain login
passdb {{
  driver = sql
  args = {written['master']}
  master = yes
}}
passdb {{
  driver = sql
  args = {written['password']}
}}
userdb {{
  driver = sql
  args = {written['user']}
}}
mail_location = maildir:~/Maildir
first_valid_uid = 8
mail_plugins = $mail_plugins acl
protocol imap {{
  mail_plugins = $mail_plugins imap_acl
}}
plugin {{
  acl = vfile:{acl}
}}
auth_policy_server_url = {policy_url}
auth_policy_server_api_header = {POLICY_HEADER}: {key}
auth_policy_hash_nonce = {key[:32]}
auth_policy_request_attributes = login=%{{requested_username}} person=%{{auth_user}} remote=%{{rip}} protocol=%s
auth_policy_check_before_auth = no
auth_policy_check_after_auth = no
auth_policy_report_after_auth = yes
"""
    if postfix_spool is not None:
        conf += f"""service lmtp {{
  unix_listener {postfix_spool}/private/dovecot-lmtp {{
    user = postfix
    group = postfix
    mode = 0600
  }}
}}
service auth {{
  unix_listener {postfix_spool}/private/auth {{
    user = postfix
    group = postfix
    mode = 0660
  }}
}}
"""
    written["conf"] = directory / "sema.conf"
    write_private(written["conf"], conf, 0o600)  # it holds the policy key: a local user with it could report failed log-ins
    return written
