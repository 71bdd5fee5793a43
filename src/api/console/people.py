"""What every person finds: the directory, their address book, the group
mailboxes they hold permissions on, and exceptional access granted on their
own mailbox. The same queries as the JSON API's reads."""

from __future__ import annotations

from uuid import UUID

from starlette.responses import Response

from api.console.pages import Form, redirect, render
from api.context import Context
from api.endpoints import reads
from domain.errors import DomainError
from projections import queries

KIND_NAMES = {"user": "Person", "distribution_list": "Distribution list", "group_mailbox": "Group mailbox"}


def directory(ctx: Context, form: Form | None) -> Response:
    text = ctx.request.query_params.get("q", "").strip()[:200]
    kind = ctx.request.query_params.get("kind", "")
    query = reads.DirectoryQuery(kinds=[kind] if kind in KIND_NAMES else [], **({"q": text} if text else {}))
    found = reads.search_directory(ctx, query).items if text or kind else []
    saved = {e.entry_id for e in reads.get_address_book(ctx).entries}
    return render(ctx, "directory.html", title="Directory", q=text, kind=kind, kinds=KIND_NAMES, found=found, searched=bool(text or kind), saved=saved)


def address_book(ctx: Context, form: Form | None) -> Response:
    entries = reads.get_address_book(ctx).entries
    return render(ctx, "address_book.html", title="Your address book", entries=entries, kinds=KIND_NAMES)


def save_entry(ctx: Context, form: Form | None) -> Response:
    assert form is not None
    kind, entry_id = form.get("entry_kind"), form.get("entry_id")
    try:
        ctx.app.save_address_book_entry(ctx.actor, ctx.now, kind, UUID(entry_id))
    except (ValueError, DomainError) as error:
        return redirect("/console/address-book", f"Not saved: {getattr(error, 'message', 'no such entry')}")
    return redirect("/console/address-book", f"{form.get('name') or 'The entry'} saved in your address book")


def remove_entry(ctx: Context, form: Form | None) -> Response:
    assert form is not None
    try:
        ctx.app.remove_address_book_entry(ctx.actor, ctx.now, UUID(form.get("entry_id")))
    except (ValueError, DomainError) as error:  # a tampered id, or an entry already gone
        return redirect("/console/address-book", f"Not removed: {getattr(error, 'message', 'no such entry')}")
    return redirect("/console/address-book", "Removed from your address book")


def my_group_mailboxes(ctx: Context, form: Form | None) -> Response:
    assert ctx.principal is not None
    mailboxes = reads.my_group_mailboxes(ctx).group_mailboxes
    me = ctx.principal.user_id
    return render(ctx, "my_group_mailboxes.html", title="Your group mailboxes", mailboxes=[(m, m.permissions.get(me, ())) for m in mailboxes])


def my_exceptional_access(ctx: Context, form: Form | None) -> Response:
    grants: list[queries.GrantView] = reads.my_grants(ctx).grants
    return render(ctx, "my_exceptional_access.html", title="Exceptional access to your mailbox", grants=grants)
