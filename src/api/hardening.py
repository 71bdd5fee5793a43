"""HTTP hardening that applies to every route, the API's and the web console's:
security headers on every response, and cross-site requests refused where a
browser's cookie would otherwise carry the session (ADR 0022).

- ``SecurityHeaders``: ``X-Content-Type-Options: nosniff``, ``Referrer-Policy:
  no-referrer``, framing refused (``frame-ancestors 'none'``, ``X-Frame-Options``),
  ``Cache-Control: no-store`` (responses carry one-time passwords, letters keys,
  session tokens and personal data: no cache may keep them), and HSTS on
  requests that arrived over TLS. A header a route set itself is kept (a page
  of the console sets its own, fuller ``Content-Security-Policy``).
- ``CrossSiteRefusal``: an unsafe request (POST, PUT, PATCH, DELETE) that
  authenticates by the session cookie is refused with 403 when the browser
  says it comes from another site (``Sec-Fetch-Site``) or its ``Origin`` is
  not this host. Requests with a bearer token carry no ambient credential and
  pass. SameSite cookies stay the first line; this is the second.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAME_SITE_FETCHES = frozenset({"same-origin", "none"})  # "none": typed in the address bar, a bookmark


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts_seconds: int = 31_536_000) -> None:
        self.app = app
        self.defaults = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
            "Cross-Origin-Resource-Policy": "same-origin",
        }
        self.hsts = f"max-age={hsts_seconds}; includeSubDomains" if hsts_seconds > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        over_tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.defaults.items():
                    headers.setdefault(name, value)
                if over_tls and self.hsts is not None:
                    headers.setdefault("Strict-Transport-Security", self.hsts)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadSizeLimit:
    """Refuses a request whose head (request line and headers) is larger than ``limit``
    bytes with 431. uvicorn's own bound (h11's largest incomplete event) holds only
    while the head is still arriving: one that arrives in a single read passes it."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = len(scope["method"]) + len(scope.get("raw_path") or b"") + len(scope["query_string"]) + 12
            size += sum(len(name) + len(value) + 4 for name, value in scope["headers"])
            if size > self.limit:
                response = problem_response(431, "headers-too-large", f"the request line and headers must be at most {self.limit} bytes")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class CrossSiteRefusal:
    def __init__(self, app: ASGIApp, cookie_name: str) -> None:
        self.app = app
        self.cookie_name = cookie_name

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in UNSAFE_METHODS:
            reason = cross_site_reason(Headers(scope=scope), self.cookie_name)
            if reason is not None:
                response = problem_response(403, "cross-site-request", f"a request from another site may not use the session cookie: {reason}")
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def cross_site_reason(headers: Headers, cookie_name: str) -> str | None:
    """Why a cookie-authenticated unsafe request is cross-site, or ``None`` if it is not (or uses no cookie)."""
    if f"{cookie_name}=" not in headers.get("cookie", "") or headers.get("authorization", "").lower().startswith("bearer "):
        return None
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in SAME_SITE_FETCHES:
        return f"Sec-Fetch-Site is {fetch_site}"
    origin = headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != headers.get("host", "").lower()):
        return f"Origin {origin} is not this host"
    return None
