"""Domain errors map to HTTP in one place, with stable problem types."""

from __future__ import annotations

import json
import uuid

import pytest

from api.problems import from_domain_error
from domain.errors import (
    AccountLocked,
    AddressTaken,
    AlreadySo,
    BulkValidationFailed,
    ConcurrencyConflict,
    InvalidCredentials,
    InvalidValue,
    PermissionDenied,
    UserNotFound,
)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ConcurrencyConflict(), 409, "concurrency-conflict"),
        (UserNotFound(uuid.UUID(int=1)), 404, "not-found"),
        (PermissionDenied("only an administrator may do this"), 403, "permission-denied"),
        (AddressTaken("a@b.cjsm.net"), 422, "address-taken"),
        (AlreadySo("already suspended"), 422, "already-so"),
        (InvalidCredentials(), 401, "invalid-credentials"),
        (AccountLocked(), 401, "account-locked"),
    ],
)
def test_each_domain_error_has_its_status_and_stable_type(error, status, code):
    response = from_domain_error(error)
    body = json.loads(response.body)
    assert response.status_code == status and body["status"] == status
    assert body["type"].endswith("/" + code) and body["detail"] == error.message
    assert response.media_type == "application/problem+json"


def test_an_invalid_value_names_its_field():
    body = json.loads(from_domain_error(InvalidValue("new_password", "must be at least 10 characters")).body)
    assert body["errors"] == [{"field": "new_password", "message": "must be at least 10 characters"}]


def test_a_bulk_validation_failure_lists_every_row_and_field():
    error = BulkValidationFailed([{"row": 2, "field": "last_name", "message": "is empty"}, {"row": 5, "field": "original_address", "message": "bad"}])
    body = json.loads(from_domain_error(error).body)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(2, "last_name"), (5, "original_address")]
