"""ADR 63: a quick request runs on the event loop when it is the process's only
request (SQLite), and never makes the loop wait: a lock held by another thread
or another connection sends it back to the thread pool, whole, and the other
requests go on meanwhile."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import time
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from sema import nowait
from sema.application import SemaApplication
from testkit.http import Person, add_users, register_organisation

def _line_of(log_stream: io.StringIO, request_id: str) -> dict:
    (line,) = [json.loads(text) for text in log_stream.getvalue().splitlines() if text.startswith("{") and json.loads(text).get("request_id") == request_id]
    return line


def _users(service: Person, count: int) -> list[str]:
    org = register_organisation(service, "westmids")
    return [u["user_id"] for u in add_users(service, org, [{"first_name": "Ann", "last_name": f"Lee{n}"} for n in range(count)])]


def _department_of(service: Person, user_id: str) -> str | None:
    response = service.get(f"/users/{user_id}")
    assert response.status_code == 200, response.text
    return response.json()["details"].get("department")


def test_a_quick_command_alone_runs_on_the_loop_on_sqlite_and_in_a_thread_on_postgresql(app: SemaApplication, service: Person, log_stream: io.StringIO) -> None:
    (user,) = _users(service, 1)
    response = service.post("/users/details-changes", json={"user_ids": [user], "details": {"department": "Custody"}})
    assert response.status_code == 200, response.text
    assert response.json()["outcomes"] == [{"user_id": user, "result": "changed", "reason": None}]
    expected = "loop" if app.engine.dialect.name == "sqlite" else "thread"
    assert _line_of(log_stream, response.headers["x-request-id"])["ran_on"] == expected
    assert _department_of(service, user) == "Custody"


def test_a_slow_operation_a_large_body_or_an_idempotency_key_runs_in_a_thread(app: SemaApplication, service: Person, log_stream: io.StringIO) -> None:
    users = _users(service, 30)  # 30 ids: more than a quick body's 1,024 bytes
    large = service.post("/users/details-changes", json={"user_ids": users, "details": {"department": "Custody"}})
    assert large.status_code == 200, large.text
    assert _line_of(log_stream, large.headers["x-request-id"])["ran_on"] == "thread"
    keyed = service.post("/users/details-changes", json={"user_ids": users[:1], "details": {"department": "Cells"}}, headers={"Idempotency-Key": "quick-1"})
    assert keyed.status_code == 200, keyed.text
    assert _line_of(log_stream, keyed.headers["x-request-id"])["ran_on"] == "thread"  # its reservation's release may wait
    wrong_password = service.client.post("/session", json={"username": service.username, "password": "not the password 1"})
    assert wrong_password.status_code == 401
    assert _line_of(log_stream, wrong_password.headers["x-request-id"])["ran_on"] == "thread"  # a log-in hashes


@pytest.mark.parametrize("holder", ["another thread of the process", "another process"])
def test_a_lock_held_elsewhere_sends_the_quick_command_back_to_the_thread_pool_whole(app: SemaApplication, service: Person, log_stream: io.StringIO, holder: str) -> None:
    if app.engine.dialect.name != "sqlite":
        pytest.skip("only SQLite runs quick requests on the loop")
    (user,) = _users(service, 1)
    held, release = threading.Event(), threading.Event()

    def hold_the_lock() -> None:
        if holder == "another thread of the process":
            lock = app.recorder.datastore.write_lock
            lock.acquire()
            held.set()
            release.wait(30)
            lock.release()
        else:
            other = sqlite3.connect(app.engine.url.database, isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            held.set()
            release.wait(30)
            other.execute("ROLLBACK")
            other.close()

    answered: dict = {}

    def send_the_command() -> None:
        answered["response"] = service.post("/users/details-changes", json={"user_ids": [user], "details": {"department": "Custody"}})

    holding, sending = threading.Thread(target=hold_the_lock), threading.Thread(target=send_the_command)
    holding.start()
    assert held.wait(5)
    sending.start()
    time.sleep(0.2)
    assert sending.is_alive()  # the command waits for the lock…
    started = time.perf_counter()
    me = service.get("/me")  # …in a thread: the loop answers another request meanwhile
    other_took = time.perf_counter() - started
    release.set()
    sending.join(30)
    holding.join(5)
    assert me.status_code == 200, me.text
    assert other_took < 0.5, f"another request waited {other_took:.3f} s while the command waited for the lock"
    response = answered["response"]
    assert response.status_code == 200, response.text
    assert response.json()["outcomes"][0]["result"] == "changed"
    assert _line_of(log_stream, response.headers["x-request-id"])["ran_on"] == "loop, then thread"
    assert _department_of(service, user) == "Custody"
    changes = [e for e in app.recorder.select_events(UUID(user)) if e.topic.endswith("DirectoryDetailsChanged")]
    assert len(changes) == 1  # the first attempt left nothing behind


def test_inside_no_waiting_a_lost_race_refuses_to_pause_and_after_a_commit_it_may_wait(app: SemaApplication) -> None:
    attempts = []

    def lose(uow: object) -> None:
        attempts.append(1)
        raise IntegrityError("another writer got there first")

    with nowait.no_waiting() as attempt:
        with pytest.raises(nowait.WouldWait):
            app.runner.run(lose)
        assert attempts == [1] and not attempt.committed
        assert app.runner.run(lambda uow: "done") == "done"
        assert attempt.committed and nowait.may_wait()
    assert nowait.may_wait()


def test_the_write_lock_refuses_to_wait_only_inside_no_waiting() -> None:
    lock = nowait.WriteLock()
    lock.acquire()
    with nowait.no_waiting():
        with pytest.raises(nowait.WouldWait):
            lock.acquire()
    threading.Timer(0.05, lock.release).start()
    assert lock.acquire()  # outside, it waits for the holder
    lock.release()


def test_a_refusal_to_wait_is_recognised_through_its_wrappings() -> None:
    from sqlalchemy.exc import OperationalError as SqlAlchemyOperationalError
    from eventsourcing.persistence import OperationalError

    busy = sqlite3.OperationalError("database is locked")
    wrapped = SqlAlchemyOperationalError("INSERT …", {}, busy)
    outer = OperationalError(wrapped)
    assert nowait.would_have_waited(outer) and nowait.would_have_waited(wrapped) and nowait.would_have_waited(busy)
    assert nowait.would_have_waited(nowait.WouldWait())
    assert not nowait.would_have_waited(sqlite3.OperationalError("no such table: x"))
    assert not nowait.would_have_waited(ValueError("database is locked"))
