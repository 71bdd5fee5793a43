"""Reports: an administrator's user search as a CSV file, and the state of the
service's outbound notices for service administrators."""

from __future__ import annotations

import io
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from api.context import Context
from api.endpoints.reads import Paging, UserFilters, ask, user_search
from domain.user import DIRECTORY_FIELDS
from policies.notices import NoticePage, notice_page
from projections import queries
from sema.spreadsheet_safe import writer

EXPORT_COLUMNS = (
    "id", "organisation_id", "username", "first_name", "last_name", "address", "aliases", "original_address", "status", "ex_directory",
    "never_activated", "last_log_in_at", "last_mailbox_use_at", "one_time_password_expires_at", "deleted_at", "undeletable_until", *DIRECTORY_FIELDS,
)  # fmt: skip


class UserExportQuery(UserFilters):
    pass


class NoticesQuery(Paging):
    model_config = ConfigDict(extra="forbid")
    state: list[Literal["queued", "sending", "sent", "retrying", "failed"]] = Field(default_factory=list, description="any of these (repeat the parameter)")


def _row(user: queries.UserSummary) -> list[object]:
    values = user.model_dump(mode="json")
    values["aliases"] = " ".join(user.aliases)
    return [values[c] if c in values else user.details.get(c, "") for c in EXPORT_COLUMNS]


def export_users(ctx: Context, query: UserExportQuery) -> Response:
    """The administrator search as a CSV file: the same filters and order, every matching user, cells safe to open in a spreadsheet"""
    out = io.StringIO()
    csv = writer(out)
    csv.writerow(EXPORT_COLUMNS)
    offset = 0
    while True:
        page = ask(ctx, lambda c: user_search(ctx, c, query, queries.MAX_LIMIT, offset))
        for user in page.items:
            csv.writerow(_row(user))
        offset += len(page.items)
        if not page.items or offset >= page.total:
            break
    filename = f"users-{ctx.now:%Y%m%d-%H%M}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def list_notices(ctx: Context, query: NoticesQuery) -> NoticePage:
    """Outbound notices, newest first, with their delivery state (queued, sending, sent, retrying, failed) and counts per state"""
    return notice_page(ctx.app.engine, query.state, query.limit, query.offset)
