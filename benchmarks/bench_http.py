"""HTTP figures against real uvicorn servers on loopback ports.

``http_bulk_add_500_s``: one bulk-add request of 500 users to ``sema serve``.
``http_command_p50_ms``: a simple administrator command (a details change of one user).
``bare_starlette_p50_ms``: a bare Starlette sync endpoint under uvicorn — the
floor, measured with the same keep-alive httpx client in the same run, the two
taking turns every ten requests (``p50s_ms``).

Profile (cProfile of 100 one-user details changes in-process, SQLite, busy
machine, 2026-11-27): 65 ms a command, 85% of it in the nine inline read
models, mostly reading each one's tracking position twice (1,800 queries for
100 commands) and moving the position of read models the event does not
concern; each request also replayed the principal's ``User`` and
``Organisation`` to authenticate. Fixes (ADR 32, 33): one query for every
position and one update for the untouched read models (38 ms a command in the
same profile run), and authentication from the principals read model.

Profile, second round (cProfile and wall-clock timers of 300 one-user details
changes through the ASGI app in-process, the thread pool made synchronous so
the profiler sees the endpoint; SQLite, busy machine, 2026-11-27): 6.1 ms a
request, 19 SQL statements. By wall clock: inline read models 2.6 ms (three
of them apply the event; the other six only move their tracking), loading
the ``User`` 1.0 ms (two ORM queries: snapshot, events), authentication
0.65 ms, the event insert 0.3 ms, the commit 0.3 ms. By function, a quarter
of all time was SQLAlchemy *building* statements (``select(…).where(…)``,
coercions, cache keys) per execution, more than SQLite took to run them;
ORM ``Session.execute`` where a connection would do; four tracking updates
per command. Fixes: statements made once with bound parameters (the event
store's reads of a stream, the read models' keyed writes and reads, tracking,
sessions, principals, the ledger head, the directory's text index); one
update moving every tracked position; session and principal read on one
connection. Same harness after: 3.7 ms a request, 16 statements; 3.5 ms
against 0.7 ms for a 404 through the same middleware in a later run.
Found on the way: ``INSERT … RETURNING … sort_by_parameter_order`` makes
SQLAlchemy insert one row per statement on SQLite (a bulk add sent 2,500
inserts); the ids are now matched to events by (originator, version).
What is left, by function: SQLAlchemy's per-execution overhead (about a
quarter still), the request log line through stdlib logging (~0.2 ms),
Starlette's middleware and the thread-pool hop. ``benchmarks/run.py http``,
main and this change in turn, busy machine: http_command_p50_ms 7.9 / bare
0.89 (8.9×) and 6.6 / 0.69 (9.5×) before; 5.4 / 1.23 (4.4×) and 5.5 / 1.28
(4.3×) after. The goal (≤ 3×) is not met yet.

Profile, third round (2026-11-27; cProfile, per-phase wall-clock timers and
process CPU time of 300 details changes through the ASGI app in-process, and
cProfile of a real ``sema serve`` driven over HTTP; SQLite; machine load 4–9
on 2 cores, so CPU time per request is the figure compared). 16 statements a
request; by function, SQLAlchemy's execution around each statement (execution
context, parameter processing, result object) was about a quarter of the
request, four times what SQLite took (a keyed select: 70 µs through
``Connection.execute``, 65 µs through ``exec_driver_sql``, 16 µs on the
driver's cursor); the request's log line 170 µs of CPU through ``logging``'s
record, handler and ``ProcessorFormatter``, a third of it redacting (a regular
expression per key and per value); Python 3.11's runtime protocol checks in
the library's replay (``isinstance(event, CanMutateProtocol)``) as much as
decoding the events; the inline read models 30% (directory 11%: read, update,
re-read, FTS delete through a sub-select, FTS insert). Thread-pool hop: no
measurable CPU; uvicorn's two ``send`` calls per response and h11 are paid by
the bare endpoint too; Starlette's middleware is already pure ASGI. Fixes
(ADR 46): statements made once run on SQLite's cursor with SQLAlchemy's own
compiled SQL, type processors and exception classes (``projections.direct``:
read models' batch, tracking, sessions, principals, the event store's stream
reads and a single event's insert); sema's log lines written by structlog
straight to the stream (38 µs instead of 170 µs CPU), secret key names
decided once; replay without the protocol assertion; the directory's FTS row
replaced in one statement (15 statements). Figures, main and this change in
turn, same busy machine: in-process CPU per request 3.5–4.6 ms before,
2.0–3.0 ms after; ``sema serve`` process CPU per request (utime+stime over 600
requests, three runs each) 4.7–6.5 ms before, 3.4–5.0 ms after, the bare
endpoint's 0.50–0.85 ms (6.9–9.4× before, 4.9–6.1× after); ``benchmarks/run.py http``
(SEMA_BENCH_PORT_BASE=22000) too noisy at load 7–9 to rank the two
(http_command_p50_ms 4.7 / bare 0.99 and 4.4 / 1.15 before, 5.2 / 1.12 and
6.1 / 1.29 after). ``bulk_add_500`` not regressed: 1.36 / raw 0.86 s and
0.90 / 0.62 s before, 0.65 / 0.49 s and 0.72 / 0.51 s after. Left: one
statement each could go from the authentication (session and principal in
one select) and the load (snapshot and events in one select); Starlette's
router tries up to 52 path patterns per request; commit and the ORM session
around it ~10%.

Profile, fourth round (2026-11-27; py-spy sampling of 1,500 details changes
through the ASGI app in-process, the thread pool made synchronous, and of a
real ``sema serve`` over HTTP; process CPU per request; SQLite; load 5–9 on 2
cores, other helpers' tests running). 16 statements a request. Of the endpoint's
thread in ``sema serve``: inline read models 46% (the directory 19%, of which
the FTS reindex's two reads of an entry and its key 12% of the whole request in
the in-process profile: their ``IN`` lists were expanded by SQLAlchemy at each
run, so they never took the cursor's path), the commit 16% (SQLite's own 8–9%,
the ORM session's the rest), saving the event 12% (2% the library collecting
events through runtime-protocol ``isinstance`` checks), loading the ``User`` 11%
(snapshot select, events select, replay), authentication 4–7%, the response's
JSON 2.5%. The session touch is already at most every 30 s (``TOUCH_EVERY``), so
no request of the benchmark writes it. The router: about 2% (52 ``matches`` a
request), not worth regrouping the routes into mounts, which would change paths
the OpenAPI document and the 405s are made from. Fixes: the reindex's reads take
their keys as one JSON array (``IN (SELECT value FROM json_each(:ids))``, the
same index searches) and run on the cursor; the session and its user's principal
in one select (an outer join); an aggregate's latest snapshot and the events
after it in one select (a ``UNION ALL``, both stores; the library's repository
still where a cache is configured); ``save`` collects our aggregates' events
without the protocol checks; the response's JSON written by pydantic (the same
bytes as ``JSONResponse`` of ``model_dump(mode="json")``). 14 statements a
request. Figures, main and this change in turn, same loaded machine:
in-process CPU per request 6.3–7.2 ms before, 4.8–6.1 ms after (three runs
each); ``sema serve`` process CPU per request (600 requests, two runs each)
8.7–8.8 ms before, 7.1–7.4 ms after, the bare endpoint's 1.4–1.6 ms (5.7–5.8×
before, 4.9–5.2× after). Wall-clock p50 at this load ranks nothing (the bare
endpoint's own p50 varied 3–18 ms): ``benchmarks/run.py http`` at load 7–9,
main and this change in turn, gave http_command_p50_ms 24.7 / bare 8.08 and
13.9 / 4.17 before, 15.6 / 2.60 and 10.2 / 3.07 after; http_bulk_add_500_s
4.16 and 1.60 s before, 2.18 and 2.75 s after. Left: the read models' SQLite work (the FTS
row's delete and insert, the tracking rows' update, the ledger), the commit,
and the event loop's share (uvicorn, h11, the middleware, the log line), a third
of the server's CPU a request, the bare endpoint paying most of it too.

Profile, fifth round (2026-11-28; instruction counts, which the machine's load
does not change: ``valgrind --tool=callgrind`` of 200 one-user details changes
in-process after a bulk add of 500, collection switched on around them only;
SQLite). Main: 4.33 million instructions a command, 16 statements (the
request's authentication aside); SQLite a quarter of them (its commit 3%, FTS5
writing the command's pending terms as a new segment 6%), Python the rest. Taking statements out one at a time to see
their cost: reading the ten tracked positions (``SELECT … FOR UPDATE``, ten
rows made into dicts) 217,000 instructions, more than the update moving them
(107,000) — and the same saving as reading and moving one row, so one
tracking row per transaction would have saved no more than not reading. The
FTS upkeep read the entry again, its keys row and its FTS row's text by three
selects. Fixes (ADR 56): one update moves every position just before the
command's events, all or none (guarded by a sub-select), and the positions
are read only when it did not; the entry, its keys row and its FTS row in one
select; an FTS row that would be written unchanged left alone; the claims'
side table asks for no connection when nothing was claimed. 13 statements,
4.07 million instructions (−6%). Tried and not kept (no change in
instructions): the trigram counts' few rows through the statement's plan
rather than ``projections.executemany``; the counts' changes by set
operations. An unguarded update (positions read only if it missed some)
cost 4.00 million but cannot tell a position it moved from one already at the
command's last event (recordings offered twice): the exactly-once test failed.
``sema serve`` process CPU per request (600 requests, main and this change in
turn, load 5–6): 2.22–3.03 ms before, 2.20–3.12 ms after, bare 0.37–0.45 ms:
the load's noise is larger than the change; counted instead (``sema serve``
under callgrind, 200 requests, collection on around them): 7.14 million
instructions a request before, 6.87 million after (−3.8%), the bare endpoint
1.14 million (6.2× and 6.0×). ``benchmarks/run.py http bulk_add_500``,
main and this change in turn, load 3: http_command_p50_ms 2.78 / bare 0.81
(3.4×), 2.85 / 0.83 (3.4×), 3.07 / 0.82 (3.7×) before; 2.55 / 0.83 (3.1×),
2.59 / 0.85 (3.0×), 4.02 / 0.85 (4.7×) after — still noise-sized. Py-spy (``--gil``) of the server
at this point: the endpoint's thread 59% of the samples holding the GIL (the
command 50%: inline read models 29%, of which the directory 12%), the event
loop's thread 41% (uvicorn, h11, the middleware, the thread-pool hand-over).
A bulk add of 500: 2.17 billion instructions before and after (JSON encoding
7%, SQLite 11%).

Profile, sixth round (2026-11-28; instruction counts only, load 3-5 on 2 cores:
``valgrind --tool=callgrind`` of 200 one-user details changes in-process on a
bootstrapped store after a bulk add of 500, collection switched on around them
by callgrind's client requests; and of ``sema serve``, 200 requests,
instrumentation switched on and off around them by ``callgrind_control``.
Parts were priced by taking them out, or running them twice, in throwaway
builds). Main: 4.07 million instructions a command in-process; 6.80 and 6.90
million a request to ``sema serve`` (two runs: about +-0.05 million between
runs), the bare endpoint 1.13 million (6.0x). Where they go:
- Around the command, 2.67 million (the endpoint answering without running
  it), so sema's own HTTP costs 1.54 million beyond the bare endpoint's:
  authentication 0.36 million (0.39 alone: the pool's checkout and a
  ``Connection`` 0.08, the session-and-principal select and its row, the
  token's hash, the ``Session`` and ``Principal`` made of it), the request's
  log line 0.27 million (structlog's line alone 0.23: redaction a quarter,
  the time stamp, the sorted JSON), the three hardening middlewares 0.14
  million, and about 0.8 million for the rest (the operation, the body's
  parsing, the router, the response).
- The command: the inline read models 2.82 million (1.25 million with none
  kept, nor the claims' side table). The directory's FTS upkeep 1.38 million
  of it: FTS5's own delete, insert and segment about 0.38 (a bare ``sqlite3``
  benchmark of the same rows: 0.45 million a transaction, a plain table's
  update 0.07; contentless FTS with a side table of the shown columns 0.40,
  ``columnsize=0`` 0.43, automerge off 0.42: none worth a migration); the
  trigram counts 0.14; the select of entry, keys row and FTS row 0.24 (SQLite
  and the driver half of it: 24 columns); the rest Python. The directory's
  handler reading the entry first: 0.155 million. SQLite's commit 0.38
  million, of which FTS5 writing its pending terms as a segment 0.25 and the
  WAL 0.12: 20.8 pages a commit (FTS 7.8, trigram counts 3.0, entries and
  their walk index 2.6, events 2.5, ledger 2.1, admin users and their
  sort-name index 2.1, tracking 1.0). The ORM session around the transaction
  about 0.3 million (a begin, commit and close with no statement costs 0.40
  million, a Core transaction with one write 0.19), and each
  ``session.connection()`` 13,000 instructions, asked six times a command.
  The cyclic garbage collector: 0.6% (``gc.freeze`` of the heap at start).
Fixes: the session's connection asked once per transaction
(``projections.direct.connection_of``: the event store's read and insert,
inline tracking, each read model's batch); a user's row edited by an event
(directory, admin search) is updated with the columns that changed only
(``projections.user_rows.changes``), not at all if none did: SQLite rewrote
the entry of every index whose column an update set, changed or not, so a
details change rewrote the admin users' sort-name index (19.8 WAL pages a
commit after); log redaction returns ``None``, numbers and booleans before
its ``Mapping`` check. In-process: 4.07 million instructions a command
before, 4.01 after the first fix, 3.91 after the second (-3.8%). ``sema
serve``: 6.80 and 6.90 million a request before, 6.76 and 6.78 after (-1.3%
on the means; 5.9x the bare endpoint). Tried and dropped: one middleware in
place of the four (request log, security headers, trusted hosts, cross-site
refusal) with the headers encoded once and parsed once: 6.79 million against
6.80, within the runs' spread; the layers cost little, the work they do (the
log line, the headers) is what costs. Not done, for a next round, largest
first: the FTS upkeep's own statements and Python (one select could serve
both the handler's read of the entry and the reindex's; the old FTS columns
compared in SQL rather than fetched); the ORM session around the command's
transaction (eventsourcing-sqlalchemy's recorders use ``session.add``,
``flush`` and ``query`` for snapshots and tracking, so it is not a drop-in
change); authentication's own connection (0.08 million) and row; the log
line's processors. ``benchmarks/run.py http`` (SEMA_BENCH_PORT_BASE=23000,
load 2-3, this change and main in turn, twice): http_command_p50_ms 10.43 /
bare 1.77 and 9.09 / 1.48 after, 9.51 / 1.76 and 9.31 / 1.81 before (5.1-6.2x):
the wall clock ranks nothing at this size of change. The 3x goal is not met:
5.9x in instructions.

Another machine, 2026-11-28 (Intel Xeon at 2.5 GHz under KVM; nothing else
running): http_command_p50_ms 4.97 / bare 1.06 (4.7x) at the session's start;
an hour later, the machine as quiet by ``top``, 7.92 / 2.11 (3.7x) and 7.52 /
1.71 (4.4x): the same tree's bare endpoint varied 2x between runs, the ratio
3.7-4.7x. http_bulk_add_500_s 0.53, 0.83, 0.78 (goal 0.4). Nothing on the
request's path changed since the sixth round; the goal is not met.

A third machine, 2026-11-28 (Intel Xeon under KVM; the bare endpoint's p50
0.75-1.74 ms between runs of one tree). http_command_p50_ms 3.06 / bare 0.75
(4.1x) at the session's start; 3.43 / 0.83 (4.2x) and 3.82 / 1.11 (3.5x) after
ids as text were remembered; 4.47 / 1.12 (4.0x) later. Where the ratio read
under 3x (4.70 / 1.74, 4.45 / 1.59), the machine was slower for both: noise
added to both sides, not a gain. py-spy (``--gil``, 2,000 details changes
against ``sema serve``): the endpoint's thread held the GIL in 43% of the
samples (the command 35%, authentication 3%, the body 1.3%), the event loop's
thread in 55% (h11 14%, the response's send through the middlewares 9%, the
thread-pool hand-over 5%, the request log 5%), and the bare endpoint pays most
of that too. Nothing there is large enough for the 3x goal; not met.
http_bulk_add_500_s: 0.39, 0.50, 0.57, 0.37 at the start. py-spy of ten bulk
adds through ``sema serve``: 95% of the server's busy samples in
``add_users``, 3.6% keeping the letters, of which ``dataclasses.asdict`` of
500 letters 6 ms (now each letter's own dict: 0.08 ms). After this session's
bulk-add changes (``bench_domain.py``): 0.35, 0.47, 0.50 s in three runs
minutes apart, the slower two with the machine slower for every figure (the
write side alone 0.27 s against 0.16): met on the quiet run only.

A fourth machine, 2026-11-28 (AMD EPYC, Firecracker VM, 2 vCPUs; its idle CPUs
halt at once: ``haltpoll.guest_halt_poll_ns=0``). At the session's start:
http_command_p50_ms 3.24 / bare 0.87 (3.7x); http_bulk_add_500_s 0.297 and
bulk_add_500_s 0.265 / raw 0.348 (both met). Measured, not profiled:
- Server CPU a request (``/proc``, 1,000 requests): the details change 2.9 ms,
  an authenticated ``GET /me`` 0.76, a public ``GET`` 0.58, the bare endpoint
  0.46. So sema's HTTP layer costs 0.3 ms more than the bare endpoint, and
  the command about 2.1 ms.
- The command's path in-process, on the loop (no thread): 1.3-1.5 ms a
  request. Through ``sema serve`` the request log's duration was 2.7-3.0 ms.
- Time stamps in the server (the app wrapped; 2,000 requests) split the
  request. With anyio's threads: entry to the thread starting 0.53-0.70 ms,
  the command 1.6-2.8, back to the loop 0.16-0.24, the response sent
  through the middleware 0.49-0.70. Run on the loop instead: 0.21-0.27,
  the same command, 0.02-0.03 and 0.20-0.27. The bare endpoint: 0.12, 0.02,
  0.05 and 0.13. Pinning the server to one CPU (``taskset``) made the
  hand-offs nearly as cheap as no thread: the GIL handed between two threads
  on two vCPUs wakes a halted CPU each time.
Tried (ADR 61): a thread pool of our own, the thread that went idle last
taking the job, a thread marking itself idle and waking the loop as its last
act. Its stamps were better (anyio then ours, three runs each, alternated:
entry to thread 0.53-0.62 / 0.36-0.50 ms, response sent 0.52-0.61 / 0.20-0.25
ms; involuntary context switches 0.77-0.79 / 0.46-0.49 a request), but what
the client saw was not. Alternated every 10 requests it was 0.06 ms better
on average. ``benchmarks/run.py http``, three runs each, alternated, gave
3.4-4.2x both. The loop thread, the response sent, had been waiting for the
GIL: the client already had its answer. Taken out again. Running on the loop
answered 0.73 ms sooner than anyio's threads (alternated in blocks, one run); not taken, because one
slow request (a bulk add, a password hash, a wait for SQLite's lock) would
stop all the others. This machine's speed drifted by 40% within minutes
(server CPU a request 2.3-3.6 ms for one tree), so the command and the bare
endpoint now take turns every ten requests (``p50s_ms``), and both sides of the
ratio see the same machine.

The same kind of machine, another session (2026-11-28, AMD EPYC, Firecracker,
2 vCPUs). ``benchmarks/run.py http``, one tree, minutes apart: 2.80 / 0.83
(3.4x), 3.89 / 1.05 (3.7x), 2.99 / 0.85 (3.5x), 2.38 / 0.81 (2.9x). Measured,
none kept:
- Server CPU a request (``/proc``, 1,000 details changes, three runs): 2.45-2.89
  ms through anyio's threads, 2.06-2.42 ms run on the loop; the client's p50
  3.0-3.4 against 2.3-2.7 ms. py-spy of the server (threads, idle samples
  dropped): the command 0.74 ms a request, SQLite's commit 0.20 ms of it, the
  directory's FTS upkeep 0.18 ms; of the loop thread's busy samples, 42% in the
  response's socket write (the send, and taking the GIL back from the
  endpoint's thread).
- The response's head and body in one socket write (sema's protocol holding the
  head until the body came): alternated with an unchanged server, the medians
  were 2.376 and 2.376 ms.
- The trigram counts written by two statements over JSON arrays
  (``json_each``) instead of one row each: 6.97 million instructions a request
  against 6.92 (callgrind, in process): more, not less.
- Two unchanged servers alternated in blocks of ten: their medians differed by
  up to 0.2 ms (8%) in one run. Here the wall-clock ratio cannot rank a change
  smaller than about 10%.

Another machine, 2026-11-28 evening (AMD EPYC, Firecracker, 2 vCPUs, but
``haltpoll.guest_halt_poll_ns=200000``, and about twice as slow for Python: the
bare endpoint's p50 1.6-2.2 ms, where the last machine's was 0.8).
``benchmarks/run.py http`` at the session's start, quiet: 7.37 / 1.73 (4.3x),
7.37 / 1.82 (4.0x). Server CPU a request (``/proc``, 1,000 details changes):
5.0-5.4 ms. Measured, none kept (each tree alternated with main, three pairs):
- ``sema serve`` pinned to one CPU (``taskset``), the bare server pinned or not:
  3.4-3.9x against 3.7-3.8x unpinned: no gain on this machine.
- The endpoint run on the event loop (no thread): 3.22, 3.24, 3.58x against
  main's 3.98, 4.2, 3.98x in the same pairs. The largest lever found, and not
  enough alone; ADR 61's reasons stand.
- The FTS rows without the ``details`` column (a details change would rewrite
  no FTS row if ``details`` were not in the search text; it is: department and
  job title are searchable, so the row is rewritten either way): 3.91, 4.19,
  3.68x against 4.1, 4.02, 4.14x: within the noise.
py-spy of the server run on the loop (4,000 details changes): the command 59%
of the busy samples (inline read models 26%: the directory 16%, its FTS reindex
12%; the commit 11%; loading the ``User`` 10%), authentication 7%, uvicorn, h11
and the middleware the rest. No single part is a third of the command, and the
goal needs about a third of the server's CPU a request gone on this machine.

Back on the faster kind (2026-11-28 night; AMD EPYC, Firecracker, 2 vCPUs,
``haltpoll.guest_halt_poll_ns=0``). The whole ``benchmarks/run.py`` on a quiet
machine at the session's start met every goal, this one included:
http_command_p50_ms 2.54 / bare 1.00 (2.5x). Yet ``run.py http`` alone, minutes
apart, gave 2.58 / 0.83 (3.1x), 4.36 / 1.14 (3.8x), 3.85 / 1.02 (3.8x), 2.59 /
0.82 (3.2x): when the machine turns slow (the bare endpoint 1.0-1.4 ms), the
command slows more than the bare endpoint does. ADR 63 then took the largest
lever found in earlier rounds, without ADR 61's risk: a quick request runs on
the event loop only when it is the process's only request, and never waits
there (``sema.nowait``). Alternated with the tree before it
(``benchmarks/run.py http``, machine in its slow state):

| tree | http_command_p50_ms / bare_starlette_p50_ms |
|---|---|
| before | 5.61 / 1.37 (4.1x), 4.51 / 1.06 (4.2x), 4.32 / 1.03 (4.2x), 5.62 / 1.30 (4.3x), 5.97 / 1.38 (4.3x) |
| ADR 63 | 4.93 / 1.44 (3.4x), 4.08 / 1.41 (2.9x), 3.65 / 0.99 (3.7x), 3.99 / 1.32 (3.0x), 5.02 / 1.34 (3.7x), 4.89 / 1.27 (3.9x) |

Server CPU a request (``/proc``, 1,000 details changes, alternated): 4.67 and
4.89 ms before, 4.26 and 3.64 ms after; the request log showed 1,050 of 1,055
commands run on the loop. py-spy of the server after (4,000 details changes,
every thread, 500 Hz): the command 39% of the samples (inline read models
18%, spread over nine read models, none above 3%; loading the ``User`` 7%; the
commit 6%), authentication 7%, the socket writes of the response 12% (paid by
the bare endpoint as well), the selector 6%, the rest uvicorn, h11,
Starlette and the middleware. Tried and not kept: the response's head held
until its body so that one send wakes the client once (server CPU 4.17, 3.63,
3.67 ms against 3.51, 3.82, 3.45 ms, alternated: no gain, as in the earlier
round); a LIFO connection pool (one connection serves every request already,
so SQLite's page cache stays warm).
Later the same session, the machine slower still (the bare endpoint 1.3-1.8 ms,
the bare library's batch of 500 0.48-0.50 s where it had been 0.39): the whole
``benchmarks/run.py`` on the final tree gave 5.54 / 1.85 (3.0x); ``run.py http``
alone, minutes later, 5.22 / 1.30 (4.0x), 5.34 / 1.35 (4.0x), 5.42 / 1.65
(3.3x), 5.68 / 1.67 (3.4x); alternated with the tree before ADR 63, 5.61 / 1.28
(4.4x) and 7.16 / 1.78 (4.0x) before, 5.21 / 1.54 (3.4x) and 5.74 / 1.51 (3.8x)
after. ADR 63's gain holds in every pair. The goal holds when the machine is in its fast state.
In its slow state, it is not met.

The same kind of machine, 2026-11-29 (AMD EPYC, Firecracker, 2 vCPUs,
``haltpoll.guest_halt_poll_ns=0``). ``run.py http bulk_add_500`` at the start:
3.86 / 1.16 (3.3x). Server CPU a request (``/proc``, 1,000 details changes,
blocks of 1,000 per server): 3.0-3.6 ms against the bare endpoint's 0.41-0.56,
and later, the machine faster, 2.0-2.2 against 0.40-0.44 (p50 2.3-2.4 / 0.82-0.87
ms, 2.8x). Instructions, which do not drift (``sema serve`` under callgrind,
instrumentation switched on around 300 details changes): 6.15 million a request,
the same to 0.01 million in two runs.
- SQL time per statement (each statement timed in the server, 2,750 commands):
  15 statements, 0.385 ms a command in all: the aggregate's snapshot-and-events
  select 53 us, the event insert 42, the session-and-principal select 40, the
  tracking update 37, the trigram counts' upsert 35 (through SQLAlchemy's
  ``exec_driver_sql``: an ``executemany`` of a few rows), the reindex's select
  32, the directory's update 24, the FTS delete 22, its insert 16, and the rest
  under 20 each. SQLite is about a sixth of the request (callgrind: 14-15% of
  instructions in ``sqlite3_step``); Python is the rest.
- py-spy of the server (500 Hz, 25 s): inline read models 30% of the busy
  samples (the directory 19.5%: its FTS reindex 13.8%, of which the trigram
  counts 5.5%), loading the ``User`` 10.5% (the select 6.1%, decoding and
  replay the rest), the commit 9.8% (SQLite's own 5.0%, the ORM session's
  the rest), authentication 5.3% (its own pool checkout 1.7%), the request
  log 5.5%, the response's socket writes 10% and h11's reading 10% (the bare
  endpoint pays those too). Python's cyclic collector: below callgrind's 1%
  threshold.
Fixes: a write of many rows goes on SQLite's cursor as single rows already did
(``projections.direct._send_many``), and a statement's parameters are taken in
the driver's order by one ``itemgetter``, processors applied only where a column
has one: 6.15 -> 6.07 million instructions a request (-1.3%). Priced from the
profile and not done, each a few per cent: an aggregate cache with a
fast-forward read (about 4%: the select stays, decoding goes, and a cached
aggregate must be owned by one command at a time), the command's transaction
on a Core connection rather than the library's ORM session (about 3%),
authentication on the command's connection (1.7%), one read of the directory
entry for the handler and the reindex (about 2%). Together they would not
reach the third of the server's CPU a request that the goal needs when the
machine is slow. The whole ``benchmarks/run.py`` afterwards, the machine in its
slow state (the bare library's batch save of 500 0.47 s, where it had been
0.40 at the session's start): 4.59 / 1.48 (3.1x). Run again on the final tree
half an hour later, the machine fast again (the bare batch save 0.40 s): 2.52 /
1.00 (2.5x), every goal of issue 12 met; ``run.py http`` alone right after it:
3.0x, 2.7x, 2.7x.

Next session, same kind of machine (2026-11-29, second session). At the start,
``run.py http``: 4.58 / 1.45 (3.2x), then 3.4x, 3.6x, 3.4x; the bare library's
batch of 500 0.39 s. Server CPU a request (``/proc``, 2,000 details changes):
3.1-4.0 ms against the bare endpoint's 0.46-0.54 ms; ``GET /me`` (authentication,
a read, the same middleware) 0.86 ms. The same command in-process (no HTTP):
1.4 ms. So the command itself, not the web layer, is what the bare endpoint lacks.
- ``strace -c`` of the server: 64 system calls a request, 42 of them ``pwrite64``
  (the WAL's frames: a header and a page each), 10 ``fcntl`` (WAL locks).
  ``/proc/<pid>/io``: 94 KB written a request. The WAL's frames of 20 commands,
  mapped to tables by ``dbstat``: 19.1 pages a command, 9 of them the directory's
  FTS index (its data 3.9, trigram counts 2.0, content, doc sizes and segment
  index 1 each), the ledger 2 (its table and an index of its BIGINT key).
  ``vmstat`` meanwhile: 16-29 MB/s written to disk and up to 13% of the CPU
  stolen by the host; the bare endpoint writes nothing.
- cProfile of the command in-process: SQLite's commit 0.27 ms of it (19 pages,
  about 14 us a page), the inline read models half of the Python (the directory
  alone 0.19 of 0.67 s under the profiler: its handler's read and its FTS
  reindex), the ORM session's begin, commit and close about 50 us (an empty
  write transaction: 75-85 us through the library's session, 23-27 through a
  Core connection).
- py-spy at 500 Hz showed single lines (``direct.py:67``, ``batch.py:326``) with
  14-24% of the samples, a different line each run: the process stopped there,
  not work (the line is a dict lookup); such runs were set aside.
Fixes, instructions a request (``sema serve`` under callgrind, 150 details
changes; the same tree twice agrees to 0.01 million):
- 6.10 at the start;
- 5.99: the FTS table keeps no column sizes (``columnsize=0``: nothing ranks by
  them; a page fewer a commit), and one entry's trigram counts are two sets'
  differences rather than Counters;
- 5.69: aggregates kept between commands (ADR 68): a command takes the ``User``
  from the cache and reads only the events recorded since;
- 5.55: whether a statement may go on SQLite's cursor is asked as SQLAlchemy
  asks (``_has_events``); asking the dispatchers for ``before_cursor_execute``
  built a joined listener each time, some fifteen times a command;
- 5.55 and 16.7 WAL pages a command: the ledger and the directory's entries
  keyed by the table's row id (``INTEGER``, not ``BIGINT``, on SQLite);
- 5.49: authentication reads on a pooled SQLite connection of its own, without
  SQLAlchemy's connection and transaction (``direct.read``).
In all -10%. Tried and not kept: the FTS row rewritten by one ``UPDATE`` rather
than a delete and an insert (-0.25%, the same pages); the security headers
added from bytes made once rather than by ``MutableHeaders.setdefault`` (+0.4%).
Priced and not done: the command's transaction on a Core connection (the
library's snapshots are ORM rows, so its session stays), the admin search's
details updated without reading the row (about 1.5%), the directory's FTS kept
by SQLite triggers (about 7%, a rework of ADR 47 and 52).
``run.py http``, the tree of the session's start and the 5.49 tree in turn, the
machine fast (the bare endpoint 1.0-1.3 ms): 3.6x and 3.3x before, 3.2x and 3.0x
after. The whole ``benchmarks/run.py`` on the 5.49 tree, the machine slow (the
bare library's batch save of 500 0.48 s, where it had been 0.20 an hour before):
3.56 / 1.16 (3.07x). A second whole run on the final tree, the bare library's
batch slower still (0.57 s): 3.47 / 1.24 (2.80x).
Two whole runs on a later machine of the same kind, 2026-11-29, with nothing
changed since: ``vmstat`` showed no CPU stolen by the host in either (the bare
library's batch save of 500 0.40 and 0.42 s). http_command_p50_ms 1.96 / 0.90
(2.18x) and 1.97 / 0.90 (2.19x); http_bulk_add_500_s 0.271 and 0.272.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from common import free_port

BIN = Path(sys.executable).parent
REQUESTS = 300  # fewer than the 500 users of a bulk add, so each command touches a fresh user
RUNS = 3
BLOCK = 10  # requests in a row to one server before the other's turn

BARE_APP = textwrap.dedent(
    """
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def ping(request):
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/ping", ping, methods=["POST"])])
    """
)


def wait_until_up(base: str) -> None:
    for _ in range(300):
        try:
            httpx.get(base + "/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not come up")


@contextmanager
def sema_server(
    directory: str, database_url: str | None = None, log_name: str = "server.log", *extra: str, settings: dict[str, str] | None = None
) -> Iterator[tuple[str, str, str]]:
    """``sema serve`` on a data directory (SQLite there unless ``database_url``), with
    ``settings`` (``SEMA_*`` variables) added; its base URL and, on a first start,
    the service administrator's credentials (else empty)."""
    port = free_port()
    env = {**os.environ, "SEMA_DATA_DIR": directory, "SEMA_POLICIES_IN_SERVER": "false", **(settings or {})}
    env.pop("SEMA_DATABASE_URL", None)
    if database_url:
        env["SEMA_DATABASE_URL"] = database_url
    log_path = Path(directory) / log_name
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(BIN / "sema"), "serve", "--port", str(port), "--insecure-cookies", *extra], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base)
            text = log_path.read_text()
            username = re.search(r"username:\s+(\S+)", text)
            password = re.search(r"one-time password:\s+(\S+)", text)
            yield base, username.group(1) if username else "", password.group(1) if password else ""
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def bare_server(directory: str) -> Iterator[str]:
    port = free_port()
    (Path(directory) / "bare_app.py").write_text(BARE_APP)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=directory,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def p50s_ms(calls: dict[str, Callable[[int], httpx.Response]]) -> dict[str, float]:
    """Each call's median over REQUESTS requests, the calls taking turns in blocks of
    BLOCK: a machine whose speed drifts within a run (seen here: by 40% within
    minutes) then slows or speeds both sides of a ratio alike."""
    for call in calls.values():
        for i in range(REQUESTS, REQUESTS + 20):  # warm up
            call(i).raise_for_status()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for start in range(0, REQUESTS, BLOCK):
        for name, call in calls.items():
            for i in range(start, min(start + BLOCK, REQUESTS)):
                started = time.perf_counter()
                response = call(i)
                times[name].append(time.perf_counter() - started)
                response.raise_for_status()
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def administrator(client: httpx.Client, username: str, one_time_password: str) -> dict[str, str]:
    token = client.post("/session", json={"username": username, "password": one_time_password}).json()["token"]
    answers = {"mothers_maiden_name": "Benchmark", "first_school": "Timing Primary", "place_of_birth": "Loopback"}
    client.post("/me/activation", json={"new_password": "Benchmark password 1", "security_answers": answers}, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
    session = client.post("/session", json={"username": username, "password": "Benchmark password 1"}).json()
    client.cookies.clear()
    return {"Authorization": f"Bearer {session['token']}"}


def http() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="sema-bench-http-") as directory:
        with sema_server(directory) as (base, username, otp), bare_server(directory) as bare, httpx.Client(timeout=120) as client:
            client.base_url = httpx.URL(base)
            headers = administrator(client, username, otp)
            bulk_times = []
            for run in range(RUNS):
                org = client.post("/organisations", json={"name": f"Bench {run}", "code": f"bench-{run}", "account_type": "mailbox"}, headers=headers).json()["id"]
                users = [{"first_name": f"Given{i}", "last_name": f"Family{i}"} for i in range(500)]
                started = time.perf_counter()
                response = client.post(f"/organisations/{org}/users/bulk", json={"users": users}, headers=headers)
                bulk_times.append(time.perf_counter() - started)
                response.raise_for_status()
            # A different user each time: one user's ever-growing history would measure replay, not the API.
            user_ids = [u["user_id"] for u in response.json()["users"]]
            p50s = p50s_ms(
                {
                    "command": lambda i: client.post(
                        "/users/details-changes", json={"user_ids": [user_ids[i % len(user_ids)]], "details": {"department": f"Team {i}"}}, headers=headers
                    ),
                    "bare": lambda i: client.post(f"{bare}/ping", json={"i": i}, headers=headers),
                }
            )
    return {"http_bulk_add_500_s": statistics.median(bulk_times), "http_command_p50_ms": p50s["command"], "bare_starlette_p50_ms": p50s["bare"]}


BENCHMARKS = {"http": http}
