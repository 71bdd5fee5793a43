"""Address and username generation: always valid, always unique, folding stable.

The pure rules (``domain.naming``) are checked on any text; the allocation
(lowest free number, clashes within a batch and with the store) through the
application service on a fresh SQLite file per example.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from domain.errors import BulkValidationFailed
from domain.naming import (
    check_email,
    fold,
    is_old_style_address,
    new_style_address,
    new_style_local_part,
    old_style_address,
    relay_address,
)
from sema.application import NewUser
from testkit import SERVICE_ADMIN, START, ScratchSqlite, organisation_with_admin

SERVICE_DOMAIN = "cjsm.net"
FOLDED = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$")
REAL_NAMES = [
    "Peter", "Pan", "peter", "PAN", "Zoë", "O'Brien", "O’Brien", "Obrien", "Ólafur", "Żaneta", "José", "Jose",
    "D'Arcy", "Mary Ann", "Mary-Ann", "Jean-Luc", "Nguyễn", "Müller", "Mueller", "van der Berg", "Łukasz",
    "Siobhán", "Björk", "Ærøskøbing", "Иван", "李", "Pan2", "Smith-Jones", "  Anne  ",
]
any_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=60)
letters = st.characters(whitelist_categories=["Lu", "Ll"], max_codepoint=0x024F)
invented_names = st.text(st.one_of(letters, st.sampled_from(" '-’")), min_size=1, max_size=40).filter(lambda n: fold(n) != "")
names = st.one_of(st.sampled_from(REAL_NAMES), invented_names)
letter_only_names = st.one_of(
    st.sampled_from([n for n in REAL_NAMES if not any(c.isdigit() for c in n)]),
    st.text(letters, min_size=1, max_size=12).filter(lambda n: fold(n) != ""),
)
scratch = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------ pure rules


@given(any_text)
def test_folding_is_stable(name: str) -> None:
    assert fold(fold(name)) == fold(name)


@given(any_text)
def test_folding_gives_lower_case_ascii_words_joined_by_single_hyphens(name: str) -> None:
    assert FOLDED.match(fold(name))


@pytest.mark.parametrize(
    ("first", "last", "local_part"),
    [
        ("Zoë", "O'Brien", "zoe.obrien"),
        ("Mary Ann", "van der Berg", "mary-ann.van-der-berg"),
        ("Jean-Luc", "D’Arcy", "jean-luc.darcy"),
        ("  Łukasz ", "Müller", "lukasz.muller"),
    ],
)
def test_names_fold_into_the_new_style_local_part(first: str, last: str, local_part: str) -> None:
    assert new_style_local_part(first, last) == local_part


@given(names, names, st.sampled_from(["org", "westmids-police", "a1"]))
def test_new_style_addresses_are_valid_email_addresses(first: str, last: str, code: str) -> None:
    address = new_style_address(new_style_local_part(first, last), code, SERVICE_DOMAIN)
    assert check_email("address", address) == address


@given(names, names, st.sampled_from(["org", "westmids-police"]))
def test_old_style_addresses_are_recognised_as_old_style(first: str, last: str, code: str) -> None:
    address = old_style_address(first, last, code, SERVICE_DOMAIN)
    assert is_old_style_address(address, code, SERVICE_DOMAIN)
    # The old scheme had no length limit of its own; longer imports are refused (tested below).
    assume(len(address.split("@")[0]) <= 64)
    assert check_email("address", address) == address


@given(
    st.from_regex(r"\A[a-zA-Z0-9](?:[a-zA-Z0-9_+-]|\.(?!\.)){0,30}[a-zA-Z0-9]\Z"),
    st.sampled_from(["police.gov.uk", "Mail.Police.Gov.UK", "cps.gsi.gov.uk"]),
)
def test_relay_addresses_append_the_service_domain_to_the_original(local: str, domain: str) -> None:
    original = check_email("original_address", f"{local}@{domain}")
    address = relay_address(original, SERVICE_DOMAIN)
    assert address == f"{local.lower()}@{domain.lower()}.{SERVICE_DOMAIN}"
    assert check_email("address", address) == address


# ------------------------------------------------------ allocation in the store


def number_of(local_part: str, base: str) -> int:
    suffix = local_part[len(base) :]
    return int(suffix) if suffix else 1


@scratch
@given(st.lists(st.tuples(names, names), min_size=1, max_size=40))
def test_bulk_add_gives_every_user_a_distinct_valid_address_and_username(rows: list[tuple[str, str]]) -> None:
    store = ScratchSqlite()
    try:
        organisation = organisation_with_admin(store.app, START)
        created = store.app.add_users(organisation.admin, START, organisation.id, [NewUser(f, l) for f, l in rows])
        addresses = [c.address for c in created] + [organisation.admin_user.address]
        usernames = [c.username for c in created] + [organisation.admin_user.username]
        assert len(set(addresses)) == len(addresses)
        assert len({a.lower() for a in addresses}) == len(addresses)
        assert len(set(usernames)) == len(usernames)
        for user in created:
            assert check_email("address", user.address) == user.address
            assert user.address.endswith(f"@{organisation.code}.{SERVICE_DOMAIN}")
    finally:
        store.close()


@scratch
@given(st.lists(st.tuples(letter_only_names, letter_only_names), min_size=1, max_size=25), st.integers(0, 25))
def test_clashing_names_get_the_lowest_free_number(rows: list[tuple[str, str]], split: int) -> None:
    """In two batches, each base's users hold exactly the numbers 1 (no suffix), 2, 3, …"""
    store = ScratchSqlite()
    try:
        organisation = organisation_with_admin(store.app, START)
        created = []
        for batch in (rows[:split], rows[split:]):
            if batch:
                created += store.app.add_users(organisation.admin, START, organisation.id, [NewUser(f, l) for f, l in batch])
        by_base: dict[str, list[int]] = defaultdict(list)
        by_base["ada.admin"].append(1)
        for (first, last), user in zip(rows, created):
            base = new_style_local_part(first, last)
            local_part = user.address.split("@")[0]
            assert local_part.startswith(base)
            by_base[base].append(number_of(local_part, base))
            assert user.username == local_part  # usernames follow the same rule, across the whole service
        for base, numbers in by_base.items():
            assert sorted(numbers) == list(range(1, len(numbers) + 1)), base
    finally:
        store.close()


@scratch
@given(st.lists(st.sampled_from(["Jane.Doe", "jane.doe", "JANE.DOE", "j.doe", "J.Doe", "john"]), min_size=2, max_size=6))
def test_relay_addresses_are_unique_regardless_of_case(locals_: list[str]) -> None:
    store = ScratchSqlite()
    try:
        organisation = organisation_with_admin(store.app, START, code="police", account_type="smtp", domains=("police.gov.uk",))
        rows = [NewUser("Jane", "Doe", original_address=f"{local}@Police.gov.uk") for local in locals_]
        distinct = len({local.lower() for local in locals_}) == len(locals_)
        try:
            created = store.app.add_users(organisation.admin, START, organisation.id, rows)
        except BulkValidationFailed as error:
            assert not distinct
            assert {e["field"] for e in error.errors} == {"original_address"}
        else:
            assert distinct
            assert [c.address for c in created] == [f"{local.lower()}@police.gov.uk.{SERVICE_DOMAIN}" for local in locals_]
    finally:
        store.close()


def test_imported_users_keep_their_old_style_address_as_an_alias_beside_a_new_style_one() -> None:
    store = ScratchSqlite()
    try:
        organisation = organisation_with_admin(store.app, START, code="org")
        (user,) = store.app.add_users(
            organisation.admin, START, organisation.id, [NewUser("Peter", "Pan", old_style_address="PeterPan-org@cjsm.net")]
        )
        assert user.address == "peter.pan@org.cjsm.net"
        assert user.aliases == ["peterpan-org@cjsm.net"]
        assert store.app.get_user(user.user_id).addresses == ["peter.pan@org.cjsm.net", "peterpan-org@cjsm.net"]
    finally:
        store.close()


@pytest.mark.parametrize(
    "old_style",
    ["peter pan-org@cjsm.net", "peter..pan-org@cjsm.net", "p" * 70 + "-org@cjsm.net", "peterpan-org@elsewhere.net"],
)
def test_an_imported_old_style_address_that_is_not_valid_is_refused_naming_row_and_field(old_style: str) -> None:
    store = ScratchSqlite()
    try:
        organisation = organisation_with_admin(store.app, START, code="org")
        rows = [NewUser("Wendy", "Darling"), NewUser("Peter", "Pan", old_style_address=old_style)]
        with pytest.raises(BulkValidationFailed) as refused:
            store.app.add_users(organisation.admin, START, organisation.id, rows)
        assert [(e["row"], e["field"]) for e in refused.value.errors] == [(2, "old_style_address")]
    finally:
        store.close()


def test_an_original_address_too_long_to_relay_is_refused_naming_row_and_field() -> None:
    store = ScratchSqlite()
    try:
        domain = ".".join(["d" * 60] * 3 + ["e" * 55]) + ".gov.uk"
        original = f"j@{domain}"  # 247 characters: valid alone, too long once .cjsm.net is appended
        organisation = organisation_with_admin(store.app, START, code="police", account_type="smtp", domains=("police.gov.uk", domain))
        rows = [NewUser("Jane", "Doe", original_address=original)]
        with pytest.raises(BulkValidationFailed) as refused:
            store.app.add_users(organisation.admin, START, organisation.id, rows)
        assert [(e["row"], e["field"]) for e in refused.value.errors] == [(1, "original_address")]
    finally:
        store.close()


def test_new_users_never_get_an_old_style_address() -> None:
    store = ScratchSqlite()
    try:
        organisation = organisation_with_admin(store.app, START, code="org")
        (user,) = store.app.add_users(organisation.admin, START, organisation.id, [NewUser("Peter", "Pan")])
        assert user.aliases == []
        assert not is_old_style_address(user.address, "org", SERVICE_DOMAIN)
    finally:
        store.close()


def test_a_purged_users_number_is_taken_by_the_next_clash() -> None:
    store = ScratchSqlite()
    app = store.app
    try:
        organisation = organisation_with_admin(app, START)
        first, second, third = app.add_users(organisation.admin, START, organisation.id, [NewUser("Peter", "Pan")] * 3)
        assert [first.address, second.address, third.address] == [f"peter.pan{n}@org.{SERVICE_DOMAIN}" for n in ("", "2", "3")]
        app.change_statuses(organisation.admin, START, [second.user_id], "delete")
        later = START + timedelta(days=30)  # the end of the undelete period
        (still_held,) = app.add_users(organisation.admin, later, organisation.id, [NewUser("Peter", "Pan")])
        assert still_held.address == f"peter.pan4@org.{SERVICE_DOMAIN}"
        app.purge_user(SERVICE_ADMIN, later, second.user_id)
        (reused,) = app.add_users(organisation.admin, later, organisation.id, [NewUser("Peter", "Pan")])
        assert reused.address == f"peter.pan2@org.{SERVICE_DOMAIN}"
        assert reused.username == "peter.pan2"
    finally:
        store.close()
