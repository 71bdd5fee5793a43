"""The routes table: an operation and its endpoint must agree when the table is
built, and the read side's views are what the API returns."""

from __future__ import annotations

from uuid import UUID

import pytest
from testkit.http import add_users, register_organisation

from api.context import Context
from api.operations import ADMINISTRATORS, Operation
from api.routes import API
from api.schemas import RenameIn, Suspension
from projections import queries
from sema.application import SemaApplication


def rename(ctx: Context, list_id: UUID, body: RenameIn) -> None:
    """Rename a distribution list"""


def delete(ctx: Context, list_id: UUID) -> None:
    """Delete a distribution list"""


def undocumented(ctx: Context, list_id: UUID) -> None:
    pass


def test_the_endpoints_docstring_is_the_operations_summary() -> None:
    op = Operation("PATCH", "/distribution-lists/{list_id}", rename, ADMINISTRATORS, body=RenameIn, tag="distribution lists")
    assert (op.summary, op.path_params, op.methods) == ("Rename a distribution list", {"list_id": UUID}, {"PATCH"})


def test_an_endpoint_without_a_docstring_cannot_join_the_table() -> None:
    with pytest.raises(TypeError, match="undocumented needs a docstring"):
        Operation("DELETE", "/distribution-lists/{list_id}", undocumented, ADMINISTRATORS, tag="distribution lists")


def test_a_body_model_the_endpoint_does_not_take_is_refused() -> None:
    with pytest.raises(TypeError, match="the table gives body=RenameIn, the endpoint does not take body"):
        Operation("DELETE", "/distribution-lists/{list_id}", delete, ADMINISTRATORS, body=RenameIn, tag="distribution lists")


def test_an_endpoint_taking_a_body_the_table_does_not_name_is_refused() -> None:
    with pytest.raises(TypeError, match="the table gives body=None, the endpoint takes body"):
        Operation("PATCH", "/distribution-lists/{list_id}", rename, ADMINISTRATORS, tag="distribution lists")


def test_a_body_model_other_than_the_endpoints_annotation_is_refused() -> None:
    with pytest.raises(TypeError, match="the table's body model is Suspension"):
        Operation("PATCH", "/distribution-lists/{list_id}", rename, ADMINISTRATORS, body=Suspension, tag="distribution lists")


def test_a_path_parameter_the_endpoint_does_not_take_is_refused() -> None:
    with pytest.raises(TypeError, match=r"path parameters \['group_id'\] are not taken"):
        Operation("PATCH", "/distribution-lists/{group_id}", rename, ADMINISTRATORS, body=RenameIn, tag="distribution lists")


def test_every_operation_in_the_table_has_a_summary_and_a_unique_name() -> None:
    assert all(op.summary for op in API)
    assert len({op.name for op in API}) == len(API)
    assert len({(op.method, op.path) for op in API}) == len(API)


def test_a_read_endpoint_returns_the_read_sides_view_as_it_is(client, service, app: SemaApplication) -> None:
    org = register_organisation(service, "westmids")
    (peter,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan", "directory": {"department": "Custody"}}])
    with app.engine.connect() as connection:
        summary = queries.get_user_summary(connection, UUID(peter["user_id"]))
        route = queries.route(connection, peter["address"])
    assert summary is not None
    assert service.get(f"/users/{peter['user_id']}").json() == summary.model_dump(mode="json")
    assert service.get(f"/routing/{peter['address']}").json() == route.model_dump(mode="json")
