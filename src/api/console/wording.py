"""The API's validation problems in the console's words. The JSON API keeps
pydantic's wording, which programs may match on; a person reads GOV.UK style:
what to do, naming the thing ("Enter a first name", not "Field required")."""

from __future__ import annotations

import re

from domain.text import with_article
from domain.user import DIRECTORY_FIELDS

# What each field of the console's forms (and each CSV column) is called in a sentence.
THINGS = {
    "first_name": "a first name",
    "last_name": "a last name",
    "name": "a name",
    "code": "a code",
    "account_type": "an account type",
    "domains": "a mail domain",
    "local_part": "an address",
    "original_address": "an original address",
    "old_style_address": "an old-style address",
    "message": "a message",
    "kind": "a role",
    "ex_directory": "an ex-directory flag",
    "contact_name": "a contact name",
    "email": "an email address",
    "telephone": "a telephone number",
    "postal_address": "a postal address",
    **{field: with_article(field.replace("_", " ")) for field in DIRECTORY_FIELDS},
}


def plain(field: str, message: str) -> str:
    """``message``, a problem with ``field`` ("directory.job_title", "domains.2") in
    pydantic's words, as the console says it; a message of sema's own is kept."""
    parts = field.split(".")
    key = parts[1] if parts[0] == "directory" and len(parts) > 1 else parts[0]
    thing = THINGS.get(key, "a value")
    noun = thing.split(" ", 1)[1]
    if message in ("Field required", "String should have at least 1 character"):
        return f"Enter {thing}"
    if found := re.fullmatch(r"String should have at least (\d+) characters", message):
        return f"{noun.capitalize()} must be {found[1]} characters or more"
    if found := re.fullmatch(r"String should have at most (\d+) characters?", message):
        return f"{noun.capitalize()} must be {found[1]} characters or fewer"
    if found := re.fullmatch(r"List should have at most (\d+) items?.*", message):
        return f"Enter at most {found[1]} {noun}s"
    if message == "Input should be a valid boolean":
        return f"{noun.capitalize()} must be yes or no"
    if message.startswith("Input should be '"):  # one of a fixed set (a Literal)
        return f"Choose {thing}"
    if found := re.fullmatch(r"Value error, (.+)", message, re.DOTALL):
        return found[1][:1].upper() + found[1][1:]
    return message
