"""Driving the web console as a person would, in Chromium: every page reached
is checked by axe-core (no serious or critical violation), every form on it
must carry a CSRF token, and every URL the browser asks for (and its
Referer) is kept so a test can look for secrets in them. The helpers at the
end drive the same pages over plain HTTP, for tests that need no browser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

from sema.application import SemaApplication
from sema.clock import Clock

BLOCKING = ("serious", "critical")
_axe = Axe()


@dataclass
class Server:
    url: str
    app: SemaApplication
    clock: Clock
    service_username: str
    service_one_time_password: str


@dataclass
class Browser:
    page: Any
    server: Server
    contexts: list[Any]
    requests: list[tuple[str, str]] = field(default_factory=list)  # (url, referer)
    visited: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, chromium: Any, server: Server, contexts: list[Any]) -> Browser:
        context = chromium.new_context(base_url=server.url, accept_downloads=True)
        contexts.append(context)
        browser = cls(context.new_page(), server, contexts)
        browser.page.on("request", lambda r: browser.requests.append((r.url, r.headers.get("referer", ""))))
        return browser

    def another(self, chromium: Any) -> Browser:
        """Another person, in a browser context of their own."""
        other = Browser.open(chromium, self.server, self.contexts)
        other.requests = self.requests  # one record of every URL asked for
        other.visited = self.visited
        return other

    # --------------------------------------------------------- navigating

    def goto(self, path: str, expect_status: int = 200) -> Browser:
        response = self.page.goto(path)
        assert response is not None and response.status == expect_status, f"{path}: {response and response.status}"
        return self.checked()

    def fill(self, label: str, value: str) -> Browser:
        self.page.get_by_label(label, exact=True).fill(value)
        return self

    def select(self, label: str, value: str) -> Browser:
        self.page.get_by_label(label, exact=True).select_option(value)
        return self

    def tick(self, label: str) -> Browser:
        self.page.get_by_label(label, exact=True).check()
        return self

    def press(self, button: str) -> Browser:
        """Submits with the named button, waits for the next page and checks it."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()
        return self.checked()

    def follow(self, link: str) -> Browser:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=link, exact=True).first.click()
        return self.checked()

    def download(self, button: str, into: Path) -> Path:
        with self.page.expect_download() as download:
            self.page.get_by_role("button", name=button, exact=True).click()
        target = into / download.value.suggested_filename
        download.value.save_as(target)
        return target

    # --------------------------------------------------------- reading

    @property
    def heading(self) -> str:
        return str(self.page.locator("h1").first.inner_text()).strip()

    @property
    def banner(self) -> str:
        return str(self.page.get_by_test_id("banner").inner_text()) if self.page.get_by_test_id("banner").count() else ""

    @property
    def errors(self) -> list[str]:
        return [t.strip() for t in self.page.locator(".govuk-error-summary__list a").all_inner_texts()]

    @property
    def error_links(self) -> list[str]:
        return [str(a.get_attribute("href")) for a in self.page.locator(".govuk-error-summary__list a").all()]

    def text(self) -> str:
        return str(self.page.locator("main").inner_text())

    def table(self, testid: str) -> list[list[str]]:
        rows = self.page.get_by_test_id(testid).locator("tbody tr").all()
        return [[c.strip() for c in row.locator("td, th").all_inner_texts()] for row in rows]

    # --------------------------------------------------------- checking

    def checked(self) -> Browser:
        """axe-core on the page (0 serious or critical violations); every POST form has a CSRF token."""
        self.visited.append(self.page.url)
        result = _axe.run(self.page)
        blocking = [v for v in result.response["violations"] if v.get("impact") in BLOCKING]
        assert not blocking, f"{self.page.url}: " + "; ".join(f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}" for v in blocking)
        forms = self.page.eval_on_selector_all(
            "form", "forms => forms.map(f => [f.method, f.getAttribute('action'), !!f.querySelector('input[name=csrf_token][value]:not([value=\"\"])')])"
        )
        unprotected = [action for method, action, has_token in forms if method.lower() == "post" and not has_token]
        assert not unprotected, f"{self.page.url}: POST forms without a CSRF token: {unprotected}"
        return self

    def sign_in(self, username: str, password: str) -> Browser:
        self.goto("/console/sign-in")
        return self.fill("Username", username).fill("Password or one-time password", password).press("Sign in")

    def sign_out(self) -> Browser:
        return self.press("Sign out")


def secrets_in_urls(requests: list[tuple[str, str]], secrets: list[str]) -> list[str]:
    """Every URL or Referer that contains one of the secrets (or its URL-encoded form)."""
    found = []
    for url, referer in requests:
        for secret in secrets:
            forms = {secret, secret.replace(" ", "+"), re.sub(r" ", "%20", secret)}
            if any(f and (f in url or f in referer) for f in forms):
                found.append(f"{url} (referer {referer!r}) holds a secret")
    return found


@dataclass(frozen=True)
class SignedInOrganisation:
    """An organisation with an activated administrator (password ``PASSWORD``, answers ``ANSWERS``) and users."""

    org: Any
    admin_username: str
    users: list[Any]


def organisation_with_users(server: Server, code: str, names: list[tuple[str, str]]) -> SignedInOrganisation:
    from testkit import activate, organisation_with_admin
    from sema.application import NewUser

    at = server.clock.now()
    org = organisation_with_admin(server.app, at, code=code)
    activate(server.app, org.admin_user, at)
    users = server.app.add_users(org.admin, at, org.id, [NewUser(first, last) for first, last in names]) if names else []
    return SignedInOrganisation(org, org.admin_user.username, users)


NEW_PASSWORD = "a long enough password 42"


def activate_in_browser(browser: Browser, username: str, one_time_password: str, password: str = NEW_PASSWORD) -> Browser:
    """First log-in through the console: own password and three security answers."""
    browser.sign_in(username, one_time_password)
    assert browser.heading == "Set up your account"
    browser.fill("New password", password).fill("Confirm new password", password)
    for slot, (question, answer) in enumerate([("first_pet", "Rex the dog"), ("first_school", "Hillcrest Primary"), ("place_of_birth", "Ulaanbaatar")], start=1):
        browser.page.locator(f"#question_{slot}").select_option(question)
        browser.page.locator(f"#answer_{slot}").fill(answer)
    return browser.press("Save and continue")


# ------------------------------------------------------------ over plain HTTP (no browser)


def csrf_of(html: str) -> str:
    """The CSRF token of a page's first form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def signed_in_client(server: Server, username: str, password: str) -> Any:
    """An ``httpx.Client`` signed in to the console (the session cookie kept); close it after."""
    import httpx

    client = httpx.Client(base_url=server.url)
    token = csrf_of(client.get("/console/sign-in").text)
    response = client.post("/console/sign-in", data={"csrf_token": token, "username": username, "password": password})
    assert response.status_code == 303, response.text
    return client


def post_form(client: Any, path: str, fields: dict[str, Any], page: str | None = None) -> Any:
    """Posts ``fields`` with the CSRF token of ``page`` (by default, of ``path`` itself)."""
    token = csrf_of(client.get(page or path).text)
    return client.post(path, data={"csrf_token": token, **fields})


def error_summary(html: str) -> list[tuple[str, str]]:
    """The error summary's (link, message) pairs."""
    summary = html.split("govuk-error-summary__list", 1)[1].split("</ul>", 1)[0] if "govuk-error-summary__list" in html else ""
    return [(href, unescape(message).strip()) for href, message in re.findall(r'<a href="([^"]+)">([^<]*)</a>', summary)]


def field_value(html: str, field_id: str) -> str:
    """What an input or textarea of the page holds."""
    found = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*\bvalue="([^"]*)"', html) or re.search(rf'<textarea[^>]*\bid="{re.escape(field_id)}"[^>]*>([^<]*)</textarea>', html)
    assert found, f"no field {field_id}"
    return unescape(found.group(1))


def service_administrator_client(server: Server) -> Any:
    """The bootstrapped service administrator, activated (``PASSWORD``, ``ANSWERS``) and signed in over HTTP."""
    from testkit import ANSWERS, PASSWORD

    at = server.clock.now()
    actor = server.app.log_in(server.service_username, server.service_one_time_password, at).actor()
    server.app.complete_first_log_in(actor, at, PASSWORD, ANSWERS)
    return signed_in_client(server, server.service_username, PASSWORD)
