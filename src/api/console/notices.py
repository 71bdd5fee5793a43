"""The service's outbound notices, for service administrators: each with its
delivery state and the counts per state, as ``GET /notices`` gives them."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from starlette.responses import Response

from api.console.pages import Form, render
from api.context import Context
from api.endpoints.reports import NoticesQuery, list_notices
from policies.notices import NOTICE_STATES

PAGE_SIZE = 50
STATE_NAMES = {
    "queued": "Queued: not tried yet",
    "sending": "Sending",
    "sent": "Sent",
    "retrying": "Failing: tried again later",
    "failed": "Failed: refused for good",
}


def overview(ctx: Context, form: Form | None) -> Response:
    params = ctx.request.query_params
    states = [s for s in params.getlist("state") if s in NOTICE_STATES]
    try:
        page_number = max(1, min(int(params.get("page", "1")), 10_000))
    except ValueError:
        page_number = 1
    found = list_notices(ctx, NoticesQuery(state=states, limit=PAGE_SIZE, offset=(page_number - 1) * PAGE_SIZE))  # type: ignore[arg-type]
    pages = max(1, math.ceil(found.total / PAGE_SIZE))

    def link(number: int) -> str:
        return "/console/notices?" + urlencode([("state", s) for s in states] + [("page", str(number))])

    return render(
        ctx,
        "notices.html",
        title="Outbound notices",
        found=found,
        states=states,
        state_names=STATE_NAMES,
        page_number=page_number,
        pages=pages,
        previous_link=link(page_number - 1) if page_number > 1 else None,
        next_link=link(page_number + 1) if page_number < pages else None,
    )
