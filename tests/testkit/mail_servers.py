"""Real Postfix and Dovecot for a test, in a private directory on loopback ports,
connected to the test's store by the fragments ``sema mail-config`` writes.

Ports are in 8600–8699. Everything a server process opens (the store, the
Maildirs, the sockets) is made reachable by its users (postfix, dovecot,
dovenull, mail), since the test runs as another user.
"""

from __future__ import annotations

import collections
import imaplib
import os
import random
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import uvicorn

from mail.config import POLICY_PATH, Store, policy_key, write_dovecot, write_postfix
from mail.policy import policy_app
from mail.store import prepare_store
from sema.application import SemaApplication

PORT_RANGE = range(8600, 8700)  # this suite's loopback ports


def _worker_ports(ports: range) -> range:
    """Under pytest-xdist (``-n``), each worker its own slice of the range: two
    workers starting mail systems at once would otherwise race for the same free
    port between checking it and binding it."""
    worker, workers = os.environ.get("PYTEST_XDIST_WORKER", ""), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if not worker.startswith("gw") or workers <= 1:
        return ports
    size = len(ports) // workers
    start = ports.start + int(worker[2:]) % workers * size
    return range(start, start + size)

POSTFIX_MASTER = "/usr/lib/postfix/sbin/master"
MAIL_UID = 8

MASTER_CF = """smtp      inet  n       -       n       -       -       smtpd
submission inet n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _open_up(path: Path) -> None:
    """Every directory from ``path`` up to / traversable by the servers' users."""
    for p in [path, *path.parents]:
        if p == Path("/"):
            break
        mode = p.stat().st_mode & 0o777
        if mode & 0o005 != 0o005:
            p.chmod(mode | 0o005)


# Postfix's queue as its postfix-files lays it out (what `postfix check` makes, in 3 s rather than 3 ms).
QUEUES = {
    **{name: ("postfix", None, 0o700) for name in ["active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"]},
    "maildrop": ("postfix", "postdrop", 0o730),
    "public": ("postfix", "postdrop", 0o710),
    "pid": ("root", None, 0o755),
}


def _make_spool(spool: Path, data: Path) -> None:
    spool.mkdir()
    for name, (user, group, mode) in QUEUES.items():
        (spool / name).mkdir()
        shutil.chown(spool / name, user, group)
        (spool / name).chmod(mode)
    data.mkdir()
    shutil.chown(data, "postfix")
    data.chmod(0o700)


# Ports handed out lately: a test asks for its relay port before its mail system
# starts, so a port free now may be promised to a server that has not bound it yet.
_promised: collections.deque[int] = collections.deque(maxlen=20)


def free_ports(count: int) -> list[int]:
    """Ports of the range nothing listens on now and not promised lately, in random
    order: two runs of the suite on one machine (a branch and main) rarely pick the same."""
    found: list[int] = []
    ours = _worker_ports(PORT_RANGE)
    for port in random.sample(ours, len(ours)):
        if port in _promised:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        found.append(port)
        if len(found) == count:
            _promised.extend(found)
            return found
    raise RuntimeError(f"fewer than {count} free ports in {ours}")


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@dataclass
class MailSystem:
    """Postfix, Dovecot and sema's auth-policy listener for one test."""

    app: SemaApplication
    database_url: str
    relay_port: int  # the "internet": where Postfix relays mail for other domains
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="sema-mail-")))
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    policy_server: uvicorn.Server | None = None
    clock: list[datetime] = field(default_factory=list)  # the time reports are recorded at; empty: now
    smtp_port: int = 0  # the servers' ports, picked free in the range at start
    submission_port: int = 0
    imap_port: int = 0
    policy_port: int = 0

    @property
    def mail_root(self) -> Path:
        return self.root / "mail"

    def now(self) -> datetime:
        return self.clock[-1] if self.clock else datetime.now(timezone.utc)

    def start(self) -> MailSystem:
        self.smtp_port, self.submission_port, self.imap_port, self.policy_port = free_ports(4)
        _open_up(self.root)
        store = Store.from_url(self.database_url)
        prepare_store(self.database_url)
        if store.dialect == "sqlite":
            db = Path(store.sqlite_path)
            _open_up(db.parent)
            db.parent.chmod(0o777)  # SQLite readers create the -shm and -wal files
            for path in db.parent.glob(f"{db.name}*"):
                path.chmod(0o666)
        self.mail_root.mkdir()
        os.chown(self.mail_root, MAIL_UID, MAIL_UID)
        try:
            self._start_policy()
            self._start_dovecot(store)
            self._start_postfix(store)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_policy(self) -> None:
        config = uvicorn.Config(policy_app(self.app, self.now), host="127.0.0.1", port=self.policy_port, log_level="warning", lifespan="off")
        self.policy_server = uvicorn.Server(config)
        threading.Thread(target=self.policy_server.run, daemon=True).start()
        wait_for_port(self.policy_port)

    def _start_dovecot(self, store: Store) -> None:
        d = self.root / "dovecot"
        key = policy_key(self.app.settings.resolved_secret_key())
        written = write_dovecot(d, store, self.mail_root, f"http://127.0.0.1:{self.policy_port}{POLICY_PATH}", key)
        conf = d / "dovecot.conf"
        conf.write_text(f"""protocols = imap lmtp
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_verbose = yes
default_login_user = dovenull
default_internal_user = dovecot
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
!include {written['conf']}
""")
        self.processes.append(subprocess.Popen(["dovecot", "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(self.imap_port)

    def _start_postfix(self, store: Store) -> None:
        p = self.root / "postfix"
        written = write_postfix(p / "maps", store, lmtp=f"unix:{self.root}/dovecot/run/lmtp", sasl=f"{self.root}/dovecot/run/auth-postfix")
        (p / "main.cf").write_text(f"""compatibility_level = 3.6
queue_directory = {p}/spool
data_directory = {p}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mail.sema.test
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:{self.relay_port}
smtp_dns_support_level = disabled
maillog_file = {p}/postfix.log
maillog_file_prefixes = {p}
smtpd_helo_required = no
delay_warning_time = 0
{written['main'].read_text()}""")
        master = MASTER_CF.replace("smtp      inet", f"127.0.0.1:{self.smtp_port} inet").replace("submission inet", f"127.0.0.1:{self.submission_port} inet")
        (p / "master.cf").write_text(master)
        _make_spool(p / "spool", p / "data")
        self.processes.append(subprocess.Popen([POSTFIX_MASTER, "-c", str(p), "-s"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(self.smtp_port)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.policy_server is not None:
            self.policy_server.should_exit = True
        time.sleep(0.1)
        if not os.environ.get("SEMA_KEEP_MAIL_DIRS"):  # set it to read the servers' logs after a failure
            shutil.rmtree(self.root, ignore_errors=True)

    # ------------------------------------------------------------ using it

    def log(self, name: str) -> str:
        path = {"postfix": self.root / "postfix" / "postfix.log", "dovecot": self.root / "dovecot" / "dovecot.log"}[name]
        return path.read_text() if path.exists() else ""

    def maildir(self, mailbox_id: object) -> Path:
        return self.mail_root / str(mailbox_id) / "Maildir"

    def messages(self, mailbox_id: object) -> list[bytes]:
        new = self.maildir(mailbox_id) / "new"
        return [p.read_bytes() for p in sorted(new.iterdir())] if new.exists() else []

    def wait_for_messages(self, mailbox_id: object, count: int, timeout: float = 10.0) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages(mailbox_id)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{len(self.messages(mailbox_id))} of {count} messages in {mailbox_id}; postfix log:\n{self.log('postfix')[-3000:]}")

    def wait_for_queue_empty(self, timeout: float = 10.0) -> None:
        """Until Postfix holds no message (everything delivered, relayed or bounced)."""
        spool = self.root / "postfix" / "spool"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not any(f.is_file() for q in ["incoming", "active", "deferred", "maildrop"] for f in (spool / q).rglob("*")):
                return
            time.sleep(0.05)
        raise AssertionError(f"Postfix still holds mail; its log:\n{self.log('postfix')[-3000:]}")

    @contextmanager
    def smtp(self, port: int | None = None) -> Iterator[smtplib.SMTP]:
        with smtplib.SMTP("127.0.0.1", port or self.smtp_port, timeout=10) as client:
            yield client

    @contextmanager
    def imap(self, source: str = "127.0.0.1") -> Iterator[imaplib.IMAP4]:
        """An IMAP connection from ``source``: a test that fails log-ins takes its own
        127.0.0.x, since Dovecot delays an address after a failure."""
        sock = socket.create_connection(("127.0.0.1", self.imap_port), timeout=10, source_address=(source, 0))
        client = _Imap(sock, self.imap_port)
        try:
            yield client
        finally:
            try:
                client.logout()
            except (imaplib.IMAP4.error, OSError):
                pass


class _Imap(imaplib.IMAP4):
    """imaplib over a socket already connected (to pick the source address)."""

    def __init__(self, sock: socket.socket, port: int) -> None:
        self._given = sock
        super().__init__("127.0.0.1", port, timeout=10)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return self._given


def message(sender: str, to: str, subject: str, body: str = "Hello.") -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, to, subject
    mail.set_content(body)
    return mail


def imap_refusal(system: MailSystem, login: str, password: str, source: str = "127.0.0.1") -> str | None:
    """Dovecot's answer to an IMAP log-in: ``None`` when it succeeds, else its reply."""
    with system.imap(source) as client:
        try:
            client.login(login, password)
        except imaplib.IMAP4.error as refused:
            return str(refused)
        return None


def imap_can_log_in(system: MailSystem, login: str, password: str, source: str = "127.0.0.1") -> bool:
    return imap_refusal(system, login, password, source) is None


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Waits for what a server does after answering (Dovecot reports a log-in after it replied)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        time.sleep(0.05)
