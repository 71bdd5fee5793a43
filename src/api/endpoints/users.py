"""Administering users: adding (one or in bulk, with welcome letters), statuses,
details, addresses, authenticating by security letters, password reset."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NoReturn
from uuid import UUID

from pydantic import ValidationError
from starlette.responses import Response

from api.context import Context
from api.inputs import InvalidBody, Upload, parse_json_body
from api.letters import Letter, render
from api.problems import ApiProblem, invalid_request, validation_errors
from api.schemas import (
    AddressOut,
    BulkAddIn,
    BulkAddOut,
    BulkAddQuery,
    ChallengeAnswer,
    ChallengeOut,
    ChallengePosition,
    ChallengeResult,
    DetailsChangeIn,
    FirstNameIn,
    LastNameIn,
    LetterBatchOut,
    NewOneTimePassword,
    NewUserIn,
    OriginalAddressIn,
    Outcomes,
    StatusChangeIn,
    ServicePersonIn,
    UserResetIn,
)
from domain import text
from domain.user import DIRECTORY_FIELDS, SECURITY_QUESTIONS, UserKind
from sema.application import MAX_BULK, NewUser

LETTERS_KEY_HEADER = "sema-letters-key"
CSV_FLAGS = {"1": True, "true": True, "yes": True, "y": True, "0": False, "false": False, "no": False, "n": False, "": False}
CSV_COLUMNS = ("first_name", "last_name", "original_address", "old_style_address", "ex_directory", *DIRECTORY_FIELDS)


def keep_letters(ctx: Context, organisation_id: UUID, users: list[tuple[str, str, str, str, str, datetime]]) -> LetterBatchOut:
    """(first, last, username, address, one-time password, expiry) → an encrypted letter batch."""
    organisation = ctx.app.get_organisation(organisation_id).name
    letters = [Letter(f, l, organisation, u, a, otp, exp.strftime("%d %B %Y %H:%M UTC")) for f, l, u, a, otp, exp in users]
    expires_at = max(u[5] for u in users)
    batch_id, key = ctx.state.letters.keep(letters, str(ctx.actor.id), expires_at)
    return LetterBatchOut(batch_id=batch_id, key=key, url=f"/letter-batches/{batch_id}/letters.pdf", expires_at=expires_at)


def _to_new_user(row: NewUserIn) -> NewUser:
    return NewUser(
        first_name=row.first_name,
        last_name=row.last_name,
        original_address=row.original_address,
        old_style_address=row.old_style_address,
        directory=dict(row.directory),
        ex_directory=row.ex_directory,
    )


def add_rows(ctx: Context, organisation_id: UUID, rows: list[NewUserIn], dry_run: bool, kind: str = UserKind.PERSON) -> BulkAddOut:
    created = ctx.app.add_users(ctx.actor, ctx.now, organisation_id, [_to_new_user(r) for r in rows], dry_run=dry_run, kind=kind)
    letters = None
    if not dry_run:
        letters = keep_letters(
            ctx,
            organisation_id,
            [(rows[c.row - 1].first_name, rows[c.row - 1].last_name, c.username, c.address, c.one_time_password or "", c.one_time_password_expires_at) for c in created],
        )
    return BulkAddOut(dry_run=dry_run, users=created, letters=letters)


def parse_csv(content: bytes) -> tuple[list[NewUserIn | None], list[dict[str, Any]]]:
    """CSV with a header row: a user per data row (``None`` for a row at fault) and every
    bad row and field, by data row number. A fault of the whole file is raised at once."""
    try:
        decoded = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        row = content[: error.start].count(b"\n")  # the header is line 1, so data row = newlines before
        raise invalid_request([{"field": "file", "row": max(row, 1), "message": "is not UTF-8 text"}], "the CSV file must be UTF-8") from None
    reader = csv.DictReader(io.StringIO(decoded, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in ("first_name", "last_name") if c not in header]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    repeated = [h for i, h in enumerate(header) if h in CSV_COLUMNS and h in header[:i] and h not in header[i + 1 :]]
    if missing or unknown or repeated:
        header_errors = [{"field": f"header.{c}", "message": "required column is missing"} for c in missing]
        header_errors += [{"field": f"header.{h or '(empty)'}", "message": f"unknown column; use {', '.join(CSV_COLUMNS)}"} for h in unknown]
        # Two columns of one name: which value was meant cannot be known (a reader would keep the last).
        header_errors += [{"field": f"header.{h}", "message": f"the column appears {header.count(h)} times; give it once"} for h in repeated]
        raise invalid_request(header_errors, "the CSV header is not valid")
    reader.fieldnames = header
    rows: list[NewUserIn | None] = []
    errors: list[dict[str, Any]] = []
    try:
        records = list(reader)
    except csv.Error as error:
        raise invalid_request([{"field": "file", "row": reader.line_num, "message": f"malformed CSV: {error}"}]) from None
    if len(records) > MAX_BULK:
        raise invalid_request([{"field": "file", "message": f"at most {MAX_BULK} users can be added at once; got {len(records)}"}])
    for number, record in enumerate(records, start=1):
        rows.append(None)
        if None in record:
            errors.append({"field": "file", "row": number, "message": "more values than columns"})
            continue
        values: dict[str, Any] = {"directory": {}}
        refused = [e for e in (_refused(column, value, number) for column, value in record.items()) if e]
        if refused:
            errors += refused
            continue
        for column, value in record.items():
            value = text.check(column, (value or "").strip())
            if column in DIRECTORY_FIELDS:
                if value:
                    values["directory"][column] = value
            elif column == "ex_directory":
                values[column] = CSV_FLAGS.get(value.lower(), value)  # anything else is refused by name
            elif value:
                values[column] = value
        try:
            rows[-1] = NewUserIn.model_validate(values)
        except ValidationError as error:
            errors += [{**e, "row": number} for e in validation_errors(error)]
    if not records:
        errors.append({"field": "file", "message": "the file has no data rows"})
    return rows, errors


def add_csv(ctx: Context, organisation_id: UUID, content: bytes, dry_run: bool) -> BulkAddOut:
    """The users of a CSV file added, all or none; a 422 names every fault of every row."""
    rows, faults = parse_csv(content)
    if faults:
        refuse_rows(ctx, organisation_id, rows, faults)
    return add_rows(ctx, organisation_id, [row for row in rows if row is not None], dry_run)


def refuse_rows(ctx: Context, organisation_id: UUID, rows: Sequence[NewUserIn | None], faults: list[dict[str, Any]]) -> NoReturn:
    """One 422 for a bulk add, nothing added: the ``faults`` found reading the rows (a row
    at fault is ``None``) and the domain's in the rows read well, in row order. Without
    the domain's, a file corrected for the first would be refused again for the second."""
    if any(row is not None for row in rows):
        checked = ctx.app.check_users(ctx.actor, organisation_id, [row and _to_new_user(row) for row in rows])
        faults = faults + [{"field": p["field"], "message": p["message"], "row": p["row"]} for p in checked]
    in_order = sorted(faults, key=lambda f: f.get("row") or 0)  # stable: a row's faults keep their order
    numbers = sorted({f["row"] for f in in_order if f.get("row")})
    where = f" in row(s) {', '.join(map(str, numbers))}" if numbers else ""
    raise invalid_request(in_order, f"{len(in_order)} problem(s){where}; nothing was created")


def _refused(column: str, value: str | None, row: int) -> dict[str, Any] | None:
    try:
        text.check(column, value or "")
    except text.RefusedText as refused:
        return {"field": column, "row": row, "message": str(refused)}
    return None


def add_user(ctx: Context, organisation_id: UUID, body: NewUserIn) -> BulkAddOut:
    """Add one user; returns the one-time password once and a welcome letter"""
    return add_rows(ctx, organisation_id, [body], dry_run=False)


def add_service_person(ctx: Context, body: ServicePersonIn) -> BulkAddOut:
    """Register another service administrator, or an auditor, in the service's own organisation"""
    organisation_id = ctx.app.service_organisation_id()
    assert organisation_id is not None  # made on first start, before anyone could log in
    return add_rows(ctx, organisation_id, [NewUserIn(first_name=body.first_name, last_name=body.last_name)], dry_run=False, kind=body.kind)


def bulk_add_users(ctx: Context, organisation_id: UUID, query: BulkAddQuery, body: BulkAddIn | None, upload: Upload | None) -> BulkAddOut:
    """Add up to 500 users from JSON, a CSV body (text/csv) or a CSV upload (multipart field 'file'); all or nothing; dry_run validates only"""
    if upload is not None:
        flag_faults = [] if query.dry_run else _form_flag_faults(upload.fields, "dry_run")
        if flag_faults:
            _refuse_with_rows(ctx, organisation_id, flag_faults, None, upload)
        dry_run = query.dry_run or _form_flag(upload.fields, "dry_run")
        return add_csv(ctx, organisation_id, upload.content, dry_run)
    assert body is not None
    return add_rows(ctx, organisation_id, body.users, body.dry_run or query.dry_run)


def bulk_add_refused(ctx: Context, refused: InvalidBody, organisation_id: UUID, query: BulkAddQuery) -> None:
    """A JSON bulk add the schema refused: its faults with the domain's in the rows it
    accepted, in one 422 (each row's faults numbered by ``row``, as a CSV file's are)."""
    read = _rows_of_refused_body(refused)
    if read is not None:
        refuse_rows(ctx, organisation_id, *read)


def bulk_add_query_refused(ctx: Context, refused: ApiProblem, raw: bytes | None, upload: Upload | None, organisation_id: UUID) -> None:
    """A bulk add whose query was refused (``dry_run=perhaps``): that fault with every fault
    of the rows, in one 422, as a refused ``dry_run`` of a JSON body is answered. Nothing is
    added either way; the rows are only checked. A fault of the whole body (a CSV header,
    a file that is not UTF-8) is named beside the query's; malformed JSON leaves it alone."""
    if refused.status != 422 or not refused.errors:
        return
    faults = list(refused.errors) + (_form_flag_faults(upload.fields, "dry_run") if upload is not None else [])
    _refuse_with_rows(ctx, organisation_id, faults, raw, upload)


def _refuse_with_rows(ctx: Context, organisation_id: UUID, faults: list[dict[str, Any]], raw: bytes | None, upload: Upload | None) -> NoReturn:
    """A 422 for faults of the whole request (a refused ``dry_run``), with the faults of
    the rows of the body, if it can be read as rows; nothing is added."""
    rows: Sequence[NewUserIn | None] = []
    try:
        if upload is not None:
            rows, row_faults = parse_csv(upload.content)
            faults = faults + row_faults
        elif raw is not None:
            try:
                body = parse_json_body(BulkAddIn, raw)
                assert isinstance(body, BulkAddIn)
                rows = body.users
            except InvalidBody as bad_body:
                read = _rows_of_refused_body(bad_body)
                rows, body_faults = read if read is not None else ([], list(bad_body.errors or []))
                faults = faults + body_faults
    except ApiProblem as whole:
        # A fault of the whole body (a bad CSV header) is named beside the others; one
        # that leaves nothing to name (malformed JSON) leaves them alone.
        if whole.status != 422 or not whole.errors:
            raise invalid_request(faults) from None
        faults, rows = faults + list(whole.errors), []
    refuse_rows(ctx, organisation_id, rows, faults)


def _rows_of_refused_body(refused: InvalidBody) -> tuple[list[NewUserIn | None], list[dict[str, Any]]] | None:
    """The rows of a JSON bulk add the schema refused (``None`` for a row at fault) and its
    faults, a row's numbered by ``row``; ``None`` if it has no list of rows to check."""
    users = refused.data.get("users") if isinstance(refused.data, dict) else None
    if not isinstance(users, list) or not 0 < len(users) <= MAX_BULK:
        return None  # no rows to check: the schema's answer is the whole answer
    faults, at_fault = [], set()
    for fault in refused.errors or []:
        index = _row_index(fault["field"])
        if index is not None:
            at_fault.add(index)
            fault = {**fault, "row": index + 1}
        faults.append(fault)
    rows: list[NewUserIn | None] = []
    for index, user in enumerate(users):
        try:
            rows.append(None if index in at_fault else NewUserIn.model_validate(user))
        except ValidationError:
            return None  # not expected (the schema read every row); the schema's answer stands
    return rows, faults


def _row_index(field: str) -> int | None:
    """The list position a field of the body names (``users.2.first_name``: 2), if any."""
    parts = field.split(".")
    if len(parts) > 1 and parts[0] == "users" and parts[1].isascii() and parts[1].isdigit():
        return int(parts[1])
    return None


def _form_flag(fields: dict[str, str], name: str) -> bool:
    """A yes/no form field that :func:`_form_flag_faults` found none in (a checkbox sends "on")."""
    return CSV_FLAGS.get(fields.get(name, "").strip().lower(), True)


def _form_flag_faults(fields: dict[str, str], name: str) -> list[dict[str, Any]]:
    """A yes/no form field's fault: anything else is refused by name, never read as "no"
    (a dry run mistyped must not add the users for real)."""
    value = fields.get(name, "").strip().lower()
    return [] if value in CSV_FLAGS or value == "on" else [{"field": name, "message": "must be true or false"}]


def letters_pdf(ctx: Context, batch_id: UUID) -> Response:
    """The welcome letters of a batch (PDF, one page per user); for its creator, with the key from the add response"""
    return letters_response(ctx, batch_id, ctx.request.headers.get(LETTERS_KEY_HEADER, ""))


def letters_response(ctx: Context, batch_id: UUID, key: str) -> Response:
    """The batch's PDF for its creator holding its key (the API's header, the console's form); else 404."""
    letters = ctx.state.letters.open(batch_id, key, str(ctx.actor.id), ctx.now) if key else None
    if letters is None:
        raise ApiProblem(404, "not-found", "Not found", f"letter batch {batch_id} not found (or expired, or the key does not match)")
    pdf = render(letters, ctx.app.settings.service_domain)
    ctx.app.record_sensitive_read(ctx.actor, ctx.now, "welcome_letters_downloaded", [batch_id])
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="letters-{batch_id}.pdf"', "Cache-Control": "no-store"})


def change_statuses(ctx: Context, body: StatusChangeIn) -> Outcomes:
    """Multiple status change: suspend, unsuspend, delete, undelete, unlock, mark/unmark ex-directory; an outcome per user"""
    outcomes = ctx.app.change_statuses(ctx.actor, ctx.now, body.user_ids, body.action)
    return Outcomes(outcomes=outcomes)


def change_details(ctx: Context, body: DetailsChangeIn) -> Outcomes:
    """Multiple details change: the same directory details for every selected user"""
    outcomes = ctx.app.change_details(ctx.actor, ctx.now, body.user_ids, dict(body.details))
    return Outcomes(outcomes=outcomes)


def change_last_name(ctx: Context, user_id: UUID, body: LastNameIn) -> AddressOut:
    """Change a user's last name (their address may change; the old one stays as an alias)"""
    return AddressOut(address=ctx.app.change_last_name(ctx.actor, ctx.now, user_id, body.last_name))


def change_first_name(ctx: Context, user_id: UUID, body: FirstNameIn) -> AddressOut:
    """Change a user's first name (a mailbox user's address may change; the old one stays as an alias)"""
    return AddressOut(address=ctx.app.change_first_name(ctx.actor, ctx.now, user_id, body.first_name))


def change_original_address(ctx: Context, user_id: UUID, body: OriginalAddressIn) -> AddressOut:
    """Change an smtp/gsc user's original address (and so their secure address)"""
    return AddressOut(address=ctx.app.change_original_address(ctx.actor, ctx.now, user_id, body.original_address))


def remove_alias(ctx: Context, user_id: UUID, address: str) -> None:
    """Remove an alias address of a user"""
    ctx.app.remove_alias(ctx.actor, ctx.now, user_id, address)


def issue_challenge(ctx: Context, user_id: UUID) -> ChallengeOut:
    """Authenticate a user: ask for letters of their security answers"""
    prompt = ctx.app.issue_challenge(ctx.actor, ctx.now, user_id)
    return ChallengeOut(
        challenge_id=prompt.challenge_id,
        positions=[ChallengePosition(question=q, question_text=SECURITY_QUESTIONS.get(q, q), position=p) for q, p in prompt.positions],
        expires_at=prompt.expires_at,
    )


def answer_challenge(ctx: Context, user_id: UUID, challenge_id: UUID, body: ChallengeAnswer) -> ChallengeResult:
    """Give the letters the user said; pass or fail only"""
    return ChallengeResult(passed=ctx.app.answer_challenge(ctx.actor, ctx.now, user_id, challenge_id, body.letters))


def _new_otp_out(ctx: Context, user_id: UUID, otp: str, expires_at: datetime) -> NewOneTimePassword:
    user = ctx.app.get_user(user_id)
    letters = keep_letters(ctx, user.organisation_id, [(user.first_name, user.last_name, user.username, user.primary_address, otp, expires_at)])
    return NewOneTimePassword(one_time_password=otp, expires_at=expires_at, letters=letters)


def reset_password(ctx: Context, user_id: UUID) -> NewOneTimePassword:
    """After a passed challenge: a new one-time password (the old password stops working)"""
    otp, expires_at = ctx.app.reset_password(ctx.actor, ctx.now, user_id)
    ctx.state.sessions.close_all_for(user_id)  # the old password's sessions end with it
    return _new_otp_out(ctx, user_id, otp, expires_at)


def reissue_one_time_password(ctx: Context, user_id: UUID) -> NewOneTimePassword:
    """A new one-time password and welcome letter for a user who never activated (the last one expired or was lost)"""
    otp, expires_at = ctx.app.reissue_one_time_password(ctx.actor, ctx.now, user_id)
    ctx.state.sessions.close_all_for(user_id)  # a session opened with the old one-time password ends with it
    return _new_otp_out(ctx, user_id, otp, expires_at)


def reset_user(ctx: Context, user_id: UUID, body: UserResetIn) -> NewOneTimePassword:
    """Reset a user under an approved exceptional-access grant: security information cleared, new one-time password"""
    otp, expires_at = ctx.app.reset_user(ctx.actor, ctx.now, user_id, body.grant_id)
    ctx.state.sessions.close_all_for(user_id)  # back to pending activation: no session may skip it
    return _new_otp_out(ctx, user_id, otp, expires_at)
