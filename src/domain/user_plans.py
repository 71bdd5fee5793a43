"""Planning a user add, one row or 500, as pure functions.

A bulk add is validated whole before anything is created: :func:`plan_users`
checks every row against the organisation's address scheme and reports every
problem by row and field at once. What the rows fix (an smtp/gsc user's relay
address, an imported old-style address) is checked against the store by the
caller (:func:`taken_address_problems`); what is numbered (usernames, new-style
mailbox addresses) is allocated by the caller with the lowest free number and
recorded with :meth:`UserPlan.allocated`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TypedDict

from domain.errors import InvalidValue
from domain.naming import check_email, check_person_name, in_domains, is_old_style_address, new_style_local_part, relay_address
from domain.organisation import AccountType, Organisation
from domain.user import DIRECTORY_FIELDS


@dataclass(frozen=True)
class NewUser:
    """One row of a user add. ``original_address`` for smtp/gsc organisations;
    ``old_style_address`` only for users imported from before the address change."""

    first_name: str
    last_name: str
    original_address: str | None = None
    old_style_address: str | None = None
    directory: dict[str, str] = field(default_factory=dict)
    ex_directory: bool = False


class RowProblem(TypedDict):
    row: int
    field: str
    message: str


@dataclass(frozen=True)
class UserPlan:
    row: int  # 1-based, as the administrator numbers the rows
    first_name: str
    last_name: str
    local_part: str  # ``first.last`` folded: the base of the username and of a new-style address
    directory: dict[str, str]
    ex_directory: bool
    original_address: str | None = None  # smtp/gsc
    relay_address: str | None = None  # smtp/gsc: the secure address, fixed by the original one
    old_style_address: str | None = None  # imported mailbox users
    username: str | None = None  # allocated
    address: str | None = None  # allocated (mailbox) or the relay address

    @property
    def fixed_addresses(self) -> list[str]:
        """Addresses the row itself decides, which must be free."""
        return [a for a in (self.relay_address, self.old_style_address) if a]

    @property
    def addresses(self) -> list[str]:
        """Every address the user will hold: the secure address first, then the alias."""
        assert self.address is not None, "allocate first"
        return [self.address] + ([self.old_style_address] if self.old_style_address else [])

    def allocated(self, username: str, address: str | None = None) -> UserPlan:
        return replace(self, username=username, address=address or self.relay_address)


def plan_users(organisation: Organisation, rows: Sequence[NewUser | None], service_domain: str) -> tuple[list[UserPlan], list[RowProblem]]:
    """A plan per valid row and every problem found (rows clashing with each other included).
    ``None`` is a row refused before it could be read as a user: it keeps its number, so
    the others' problems name the rows the administrator sent, and is not planned."""
    plans: list[UserPlan] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        if row is None:
            continue
        try:
            plan = _plan_row(organisation, index, row, service_domain, problems)
        except InvalidValue as error:
            problems.append({"row": index, "field": error.field, "message": error.reason})
            continue
        if plan is None:
            continue
        for address in plan.fixed_addresses:
            if address in seen:
                problems.append({"row": index, "field": _field_of(plan, address), "message": f"{address} is also in row {seen[address]}"})
            seen[address] = index
        plans.append(plan)
    return plans, problems


def taken_address_problems(plans: Sequence[UserPlan], taken: set[str]) -> list[RowProblem]:
    return [
        {"row": plan.row, "field": _field_of(plan, address), "message": f"the address {address} is already in use"}
        for plan in plans
        for address in plan.fixed_addresses
        if address in taken
    ]


def _field_of(plan: UserPlan, address: str) -> str:
    return "old_style_address" if address == plan.old_style_address else "original_address"


def _plan_row(organisation: Organisation, index: int, row: NewUser, service_domain: str, problems: list[RowProblem]) -> UserPlan | None:
    """A plan, or ``None`` after noting why not; raises ``InvalidValue`` for the first fatal field."""
    names_refused = False
    for name, value in (("first_name", row.first_name), ("last_name", row.last_name)):
        try:
            check_person_name(name, value)
        except InvalidValue as error:
            problems.append({"row": index, "field": error.field, "message": error.reason})
            names_refused = True
    if names_refused:
        return None
    local_part = new_style_local_part(row.first_name, row.last_name)
    unknown = set(row.directory) - set(DIRECTORY_FIELDS)
    if unknown:
        problems.append({"row": index, "field": f"directory.{sorted(unknown)[0]}", "message": f"not a directory field; use one of {', '.join(DIRECTORY_FIELDS)}"})
    plan = UserPlan(
        row=index,
        first_name=row.first_name.strip(),
        last_name=row.last_name.strip(),
        local_part=local_part,
        directory={k: v.strip() for k, v in row.directory.items() if v and v.strip()},
        ex_directory=row.ex_directory,
    )
    if organisation.account_type in AccountType.RELAYING:
        if not row.original_address:
            raise InvalidValue("original_address", f"required for an {organisation.account_type} organisation")
        original = check_email("original_address", row.original_address)
        if not in_domains(original, organisation.domains):
            raise InvalidValue("original_address", f"must be in one of the organisation's domains: {', '.join(organisation.domains)}")
        plan = replace(plan, original_address=original, relay_address=relay_address(original, service_domain))
    elif row.original_address:
        problems.append({"row": index, "field": "original_address", "message": "only smtp and gsc organisations relay to an original address"})
    if row.old_style_address:
        old = row.old_style_address.strip().lower()
        if organisation.account_type != AccountType.MAILBOX or not is_old_style_address(old, organisation.code, service_domain):
            raise InvalidValue("old_style_address", f"must look like firstlast-{organisation.code}@{service_domain} (mailbox organisations only)")
        plan = replace(plan, old_style_address=check_email("old_style_address", old))
    return plan
