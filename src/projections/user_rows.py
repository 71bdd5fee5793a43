"""How a user's row changes with the events that edit details and addresses,
shared by the read models that keep a copy of the user (directory, admin search)."""

from __future__ import annotations

from typing import Any

from domain.user import User


def apply_details(values: dict[str, Any], event: User.DirectoryDetailsChanged) -> None:
    """Set details are written, emptied ones removed (as the aggregate does)."""
    for field, value in event.details.items():
        if value:
            values["details"][field] = value
        else:
            values["details"].pop(field, None)


def apply_address_change(values: dict[str, Any], event: User.SecureAddressChanged) -> None:
    """The old address becomes an alias; the new one stops being one."""
    values["aliases"].append(event.old_address)
    if event.new_address in values["aliases"]:
        values["aliases"].remove(event.new_address)
    values["address"] = event.new_address
    if "original_address" in values:
        values["original_address"] = event.original_address
