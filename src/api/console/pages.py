"""A page of the web console: a Starlette route that signs the person in from
the session cookie, checks their role, checks the CSRF token of every POST,
and renders a Jinja2 template, with the same service layer, queries,
authorisation and sessions as the JSON API (``api.access``, ``api.context``).

Handlers are plain ``def`` functions, as the API's endpoints are: they take
the :class:`~api.context.Context`, the submitted :class:`Form` (``None`` on a
GET) and the path parameters, and return a response (usually
:func:`render`). A domain error or API problem a handler does not catch
becomes an error page with the status the API would give.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote
from uuid import UUID

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from api.access import authenticate, authorise, reachable_before_activation
from api.console.navigation import menu, person_name
from api.context import ApiState, Context
from api.operations import note_request
from api.problems import ApiProblem, status_of
from domain.actors import Role
from domain.errors import DomainError, InvalidValue, InvalidValues, NotFound
from domain.text import with_article
from sema.credentials import same_text

SIGN_IN = "/console/sign-in"
ACTIVATE = "/console/activate"
FLASH_COOKIE = "sema_console_flash"
LOGIN_CSRF_COOKIE = "sema_console_csrf"
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# Console pages load only sema's own stylesheet and script; nothing inline, no frames.
CSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    # Not no-referrer: under it a browser sends "Origin: null" with a form's POST, which
    # the cross-site refusal (api.hardening) rightly refuses. No console URL holds a secret.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Form:
    """A submitted form: its text fields (repeatable) and uploaded files' bytes."""

    fields: dict[str, list[str]]
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0].strip() if values else default

    def raw(self, name: str) -> str:
        """A value as typed (passwords and letters are not trimmed)."""
        values = self.fields.get(name)
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.fields.get(name, []) if v.strip()]


@dataclass
class Errors:
    """A form's errors, field id → message, in the order the fields appear."""

    by_field: dict[str, str] = field(default_factory=dict)

    def add(self, field_id: str, message: str) -> None:
        self.by_field.setdefault(field_id, message)

    def add_domain_error(self, error: DomainError, fields: dict[str, str], fallback: str) -> None:
        """A rule the service layer refused, tied to the form's field where the error names one."""
        problems = error.problems if isinstance(error, InvalidValues) else [error] if isinstance(error, InvalidValue) else []
        for problem in problems:
            # "domains[1]" is the form's one "domains" field
            field_id = fields.get(problem.field) or fields.get(problem.field.split("[", 1)[0], fallback)
            self.add(field_id, problem.message.split(": ", 1)[-1])
        if not problems:
            self.add(fallback, error.message)

    def __bool__(self) -> bool:
        return bool(self.by_field)


Handler = Callable[..., Response]


class Page(Route):
    def __init__(
        self,
        path: str,
        handler: Handler,
        roles: frozenset[Role] | None,
        *,
        methods: tuple[str, ...] = ("GET",),
    ) -> None:
        self.handler = handler
        self.roles = roles
        name = f"console.{handler.__module__.rsplit('.', 1)[-1]}.{handler.__name__}"
        super().__init__(path, self._serve, methods=list(methods), name=name, include_in_schema=False)  # HTML pages: not part of the API

    async def _serve(self, request: Request) -> Response:
        state: ApiState = request.state.api
        request_id = note_request(request, f"{request.method} {self.path}")
        try:
            form = await _read_form(request) if request.method == "POST" else None
        except ClientDisconnect:
            return Response(status_code=400)
        ctx = Context(state=state, request=request, request_id=request_id, now=state.clock.now())
        response = await run_in_threadpool(self._run, ctx, form)
        response.headers.update(PAGE_HEADERS)
        if ctx.principal is not None:
            response.headers["Cache-Control"] = "no-store"  # every signed-in page shows someone's data
        return response

    def _run(self, ctx: Context, form: Form | None) -> Response:
        try:
            if self.roles is not None:
                try:
                    ctx.principal = authenticate(ctx.state, ctx.request, ctx.now)
                except ApiProblem:
                    return RedirectResponse(SIGN_IN, status_code=303)
                if ctx.principal.session.must_activate and not reachable_before_activation(ctx.request.method, self.path):
                    return RedirectResponse(ACTIVATE, status_code=303)
                authorise(ctx.principal, self.roles, ctx.request.method, self.path)
            if form is not None and not csrf_ok(ctx, form):
                return error_page(ctx, 403, "This form has expired", "Go back, reload the page and try again.")
            return self.handler(ctx, form, **ctx.request.path_params)
        except ApiProblem as problem:
            return error_page(ctx, problem.status, problem.title, problem.detail)
        except DomainError as error:
            status = status_of(error)
            return error_page(ctx, status, "Page not found" if status == 404 else "You cannot do that", error.message)


async def _read_form(request: Request) -> Form:
    submitted = await request.form(max_files=1, max_fields=5000, max_part_size=MAX_UPLOAD_BYTES)
    fields: dict[str, list[str]] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for name, value in submitted.multi_items():
        if isinstance(value, UploadFile):
            files[name] = (value.filename or "", await value.read(MAX_UPLOAD_BYTES + 1))
        else:
            fields.setdefault(name, []).append(value)
    await submitted.close()
    return Form(fields, files)


def parse_id(value: str, not_found: type[NotFound]) -> UUID:
    """A path's id; one that is not a UUID names nothing, so it is that thing's 404."""
    try:
        return UUID(value)
    except ValueError:
        raise not_found(value) from None


# ------------------------------------------------------------------ CSRF


def csrf_token(ctx: Context) -> str:
    """Signed in: an HMAC of the session (a token per session). Signing in: the
    random value of a cookie, submitted back with the form (double submit)."""
    if ctx.principal is not None:
        key = ctx.app.settings.resolved_secret_key()
        return hmac.new(key, b"console-csrf:" + ctx.principal.session.token_hash.encode(), hashlib.sha256).hexdigest()
    return ctx.request.cookies.get(LOGIN_CSRF_COOKIE, "")


def csrf_ok(ctx: Context, form: Form) -> bool:
    expected = csrf_token(ctx)
    return bool(expected) and same_text(form.raw("csrf_token"), expected)


def new_login_csrf(ctx: Context, response: Response, token: str) -> None:
    settings = ctx.state.settings
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=settings.secure_cookies, path="/console/")


# ------------------------------------------------------------- rendering


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("api.console", "templates"), autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["words"] = _words
    env.filters["with_article"] = lambda words: with_article(str(words))
    env.globals["organisation_options"] = lambda organisations: [(str(o.id), f"{o.name} ({o.code})") for o in organisations]
    # Directory details by their labels ("Job title"), as the forms that set them name them, never their keys ("job_title").
    env.globals["labelled"] = lambda details: [(_words(name).capitalize(), value) for name, value in details.items()]
    env.filters["when"] = lambda value: value.strftime("%d %B %Y %H:%M UTC") if value else ""
    return env


def _words(value: Any) -> str:
    return str(value).replace("_", " ")


def flash(response: Response, message: str) -> Response:
    """A notification banner for the next page (after a redirect). The cookie holds the
    message percent-encoded: a header is Latin-1, and names (``Łódź Police``) are not."""
    response.set_cookie(FLASH_COOKIE, quote(message[:300], safe=""), max_age=60, httponly=True, samesite="strict", path="/")
    return response


def _flashed(ctx: Context) -> str | None:
    value = ctx.request.cookies.get(FLASH_COOKIE)
    return unquote(value) if value else None


def redirect(to: str, message: str | None = None) -> Response:
    response = RedirectResponse(to, status_code=303)
    return flash(response, message) if message else response


def render(ctx: Context, template: str, status: int = 200, *, errors: Errors | None = None, **values: Any) -> HTMLResponse:
    message = _flashed(ctx)
    page = {
        "principal": ctx.principal,
        "person": person_name(ctx) if ctx.principal is not None else None,
        "menu": menu(ctx),
        "path": ctx.request.url.path,
        "csrf_token": csrf_token(ctx),
        "flash": message,
        "errors": errors or Errors(),
    }
    html = environment().get_template(template).render({**page, **values})
    response = HTMLResponse(html, status_code=422 if errors and status == 200 else status)
    if message:
        response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="strict")
    return response


def error_page(ctx: Context, status: int, title: str, detail: str) -> HTMLResponse:
    return render(ctx, "error.html", status, title=title, detail=detail)
