"""A CSV file the console cannot read as rows (its header, its encoding, its
length) is refused as the JSON API refuses the same file: the same status and
the API's every fault on the page, under an error summary, and nobody added."""

from __future__ import annotations

import re
from contextlib import closing
from html import unescape

import httpx
import pytest

from console_kit import Server, csrf_of, error_summary, organisation_with_users, signed_in_client
from testkit import PASSWORD

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
FILES = {
    "one unknown column": b"x",
    "unknown columns with a row": b"a,b\n1,2",
    "no last_name column": b"first_name\n",
    "an empty file": b"",
    "only a byte order mark": b"\xef\xbb\xbf",
    "name and email columns": b"name,email\nAnn Bee,ann@example.com\n",
    "a PDF": PDF,
    "501 rows": b"first_name,last_name\n" + b"".join(b"Ann%d,Bee\n" % n for n in range(501)),
}


def _problems(html: str) -> list[tuple[str, str, str]]:
    """The page's table of problems: (where, field, message) a row."""
    table = html.split('data-testid="problems"', 1)[1].split("</table>", 1)[0] if 'data-testid="problems"' in html else ""
    cells = r'<td class="govuk-table__cell">([^<]*)</td>'
    return [tuple(unescape(c).strip() for c in row) for row in re.findall(cells * 3, table)]  # type: ignore[misc]


@pytest.mark.parametrize("content", FILES.values(), ids=FILES.keys())
def test_a_file_at_fault_as_a_whole_is_refused_on_the_page_as_the_api_refuses_it(server: Server, content: bytes) -> None:
    kent = organisation_with_users(server, "kent", [])
    with httpx.Client(base_url=server.url) as api:
        token = api.post("/session", json={"username": kent.admin_username, "password": PASSWORD}).json()["token"]
        answer = api.post(f"/organisations/{kent.org.id}/users/bulk", files={"file": ("users.csv", content, "text/csv")}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (400, 422), answer.text
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        form = client.get("/console/users/bulk-add").text
        page = client.post("/console/users/bulk-add", data={"csrf_token": csrf_of(form)}, files={"file": ("users.csv", content, "text/csv")})
    assert page.status_code == answer.status_code, page.text
    [(link, summary)] = error_summary(page.text)
    assert link == "#file" and "nothing was added" in summary
    shown = [(field, message.lower()) for _, field, message in _problems(page.text)]
    expected = [(e["field"].removeprefix("header."), e["message"].lower()) for e in answer.json()["errors"]]
    assert shown == expected
    assert server.app.find_user_id("ann.bee") is None and server.app.find_user_id("ann0.bee") is None
