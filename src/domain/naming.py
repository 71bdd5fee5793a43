"""Address and username rules of the product, as pure functions.

Names fold to lower-case ASCII (accents removed by ``anyascii``, apostrophes
dropped, any other run of separators becomes ``-``). Clashes are resolved by
the caller with the lowest free number, via :func:`numbered`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from anyascii import anyascii
from email_validator import EmailNotValidError, validate_email

from domain import confusables
from domain.errors import InvalidValue, InvalidValues

ORGANISATION_CODE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
_APOSTROPHES = re.compile(r"['\u2019\u2018`\u02bc]")
_SEPARATORS = re.compile(r"[^a-z0-9]+")
MAX_LOCAL_PART = 64
MAX_LOCAL_PART_BASE = MAX_LOCAL_PART - 4  # room for a clash number up to 9999
MAX_PERSON_NAME = 100  # characters of a first or a last name, once trimmed
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def fold(name: str) -> str:
    """``"Zoë O'Brien"`` → ``"zoe-obrien"``; stable: ``fold(fold(x)) == fold(x)``."""
    ascii_name = anyascii(name).lower()
    ascii_name = _APOSTROPHES.sub("", ascii_name)
    return _SEPARATORS.sub("-", ascii_name).strip("-")


def folded_name_part(field: str, value: str) -> str:
    folded = fold(value)
    if not folded:
        raise InvalidValue(field, "must contain at least one letter or digit")
    return folded


def normalise_address(address: str) -> str:
    return address.strip().lower()


def check_email(field: str, address: str) -> str:
    """A syntactically valid address, normalised; deliverability is not checked."""
    try:
        # strict: also the 64-character limit before the @ that mail servers enforce.
        validated = validate_email(address.strip(), check_deliverability=False, strict=True)
    except EmailNotValidError as error:
        raise InvalidValue(field, str(error)) from None
    address = normalise_address(validated.normalized)
    lookalike = confusables.first_lookalike(address)
    if lookalike is not None:
        char, imitated = lookalike
        raise InvalidValue(field, f"contains {confusables.describe(char)}, which looks like {imitated!r}: write the address in the characters it really has")
    return address


def check_organisation_code(code: str) -> str:
    if not ORGANISATION_CODE.match(code):
        raise InvalidValue(
            "code",
            "must be 1-50 lower-case letters, digits and hyphens, not starting or ending with a hyphen",
        )
    return code


def check_domain(field: str, domain: str) -> str:
    domain = domain.strip().lower()
    if not _DOMAIN.match(domain):
        raise InvalidValue(field, f"{domain!r} is not a valid mail domain")
    return domain


def check_organisation_domain(field: str, domain: str, service_domain: str) -> str:
    """A mail domain an smtp or gsc organisation may list: a valid domain that is
    not the service's own, nor under it, nor above it (an original address there
    would relay to one of the service's own mailboxes, or be taken for one)."""
    domain = check_domain(field, domain)
    service = service_domain.strip().lower()
    if domains_overlap(domain, service):
        raise InvalidValue(field, f"{domain} overlaps the service's own mail domain {service}")
    return domain


def domains_overlap(a: str, b: str) -> bool:
    """The same domain, or one under the other."""
    return under(a, b) or under(b, a)


def under(domain: str, parent: str) -> bool:
    """``domain`` is ``parent`` or a domain under it."""
    return domain == parent or domain.endswith("." + parent)


def in_domains(address: str, domains: Iterable[str]) -> bool:
    domain = address.rsplit("@", 1)[1]
    return any(under(domain, d) for d in domains)


def numbered(base: str) -> Iterator[str]:
    """``base``, ``base2``, ``base3``, … — the lowest free number wins a clash."""
    n = 1
    while True:
        yield with_number(base, n)
        n += 1


def with_number(base: str, n: int) -> str:
    """The ``n``-th of :func:`numbered`: ``base`` itself is the first."""
    return base if n == 1 else f"{base}{n}"


def new_style_local_part(first_name: str, last_name: str) -> str:
    """``first.last``, cut short for very long names so that the address, with room
    for a clash number, stays within the 64 characters allowed before the ``@``."""
    local = f"{folded_name_part('first_name', first_name)}.{folded_name_part('last_name', last_name)}"
    return local[:MAX_LOCAL_PART_BASE].rstrip(".-")


def still_names(address: str, first_name: str, last_name: str) -> bool:
    """Whether a new-style address is still a rendering of the name, numbered or
    not: after a change of name, only an address that no longer fits changes."""
    local = new_style_local_part(first_name, last_name)
    current = address.split("@", 1)[0]
    if not current.startswith(local):
        return False
    suffix = current[len(local) :]
    return not suffix or suffix.isdigit()


def new_style_address(local_part: str, organisation_code: str, service_domain: str) -> str:
    return f"{local_part}@{organisation_code}.{service_domain}"


def service_address(local_part: str, organisation_code: str, service_domain: str) -> str:
    """A group mailbox's or list's address, ``local@org.service-domain``, from the local part an administrator chose."""
    local = local_part.strip().lower()
    dashed = local.replace(".", "-")
    if not local or fold(dashed) != dashed or local.startswith(".") or local.endswith("."):
        raise InvalidValue("local_part", "use lower-case letters, digits, dots and hyphens")
    return new_style_address(local, organisation_code, service_domain)


def relay_address(original_address: str, service_domain: str) -> str:
    """smtp/gsc users: ``jane.doe@police.gov.uk`` → ``jane.doe@police.gov.uk.cjsm.net``."""
    address = f"{normalise_address(original_address)}.{service_domain}"
    try:
        validate_email(address, check_deliverability=False, strict=True)
    except EmailNotValidError as error:
        raise InvalidValue("original_address", f"cannot be relayed: {address} would not be a valid address ({error})") from None
    return address


def old_style_address(first_name: str, last_name: str, organisation_code: str, service_domain: str) -> str:
    """Pre-change mailbox addresses: ``peterpan-org@cjsm.net``; only for imported users."""
    first = folded_name_part("first_name", first_name).replace("-", "")
    last = folded_name_part("last_name", last_name).replace("-", "")
    return f"{first}{last}-{organisation_code}@{service_domain}"


def is_old_style_address(address: str, organisation_code: str, service_domain: str) -> bool:
    local, _, domain = normalise_address(address).partition("@")
    return domain == service_domain and local.endswith(f"-{organisation_code}") and len(local) > len(organisation_code) + 1


def username_base(first_name: str, last_name: str) -> str:
    return new_style_local_part(first_name, last_name)


def check_person_name(field: str, name: str) -> str:
    """A person's first or last name: trimmed, not empty, at most :data:`MAX_PERSON_NAME` characters."""
    name = name.strip()
    if not name:
        raise InvalidValue(field, "must not be empty")
    if len(name) > MAX_PERSON_NAME:
        raise InvalidValue(field, f"must be at most {MAX_PERSON_NAME} characters")
    return name


def check_person_names(first_name: str, last_name: str) -> tuple[str, str]:
    """Both names checked by :func:`check_person_name`; one error naming each that fails."""
    InvalidValues.check(lambda: check_person_name("first_name", first_name), lambda: check_person_name("last_name", last_name))
    return first_name.strip(), last_name.strip()


def check_display_name(name: str) -> str:
    """The name of an organisation, list or group mailbox: trimmed, not empty, at most 200 characters."""
    name = name.strip()
    if not name:
        raise InvalidValue("name", "must not be empty")
    if len(name) > 200:
        raise InvalidValue("name", "must be at most 200 characters")
    return name
