"""Errors as RFC 9457 problem documents; every domain error maps to HTTP here, in one place."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError
from starlette.responses import JSONResponse

from domain.errors import (
    AccountLocked,
    AccountUnavailable,
    BulkValidationFailed,
    ConcurrencyConflict,
    DomainError,
    InvalidCredentials,
    InvalidValue,
    InvalidValues,
    NotFound,
    PermissionDenied,
    TooManyLogInAttempts,
)

PROBLEM_TYPE_BASE = "https://sema.invalid/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str = Field(description="the field at fault, dotted (``users.3.last_name``, ``path.user_id``)")
    message: str
    row: int | None = Field(None, description="the 1-based row of a bulk add (CSV data row or JSON list item)")


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    """A problem raised by the HTTP layer itself (authentication, parsing)."""

    def __init__(self, status: int, code: str, title: str, detail: str, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail, self.errors, self.headers = status, code, title, detail, errors, headers


TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    423: "Locked",
    429: "Too many requests",
    431: "Request headers too large",
}


def problem_response(status: int, code: str, detail: str, *, title: str | None = None, errors: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(type=PROBLEM_TYPE_BASE + code, title=title or TITLES.get(status, "Error"), status=status, detail=detail, errors=[FieldError(**e) for e in errors] if errors is not None else None)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def status_of(error: DomainError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, ConcurrencyConflict):
        return 409
    if isinstance(error, (InvalidCredentials, AccountLocked, AccountUnavailable)):
        return 401
    if isinstance(error, TooManyLogInAttempts):
        return 429
    return 422


def from_domain_error(error: DomainError) -> JSONResponse:
    errors: list[dict[str, Any]] | None = None
    headers = {"Retry-After": str(error.retry_after_s)} if isinstance(error, TooManyLogInAttempts) else None
    if isinstance(error, BulkValidationFailed):
        errors = [{"field": e["field"], "message": e["message"], "row": e["row"]} for e in error.errors]
    elif isinstance(error, InvalidValues):
        errors = [{"field": p.field, "message": p.message.split(": ", 1)[-1]} for p in error.problems]
    elif isinstance(error, InvalidValue):
        errors = [{"field": error.field, "message": error.message.split(": ", 1)[-1]}]
    return problem_response(status_of(error), error.code, error.message, errors=errors, headers=headers)


def from_api_problem(problem: ApiProblem) -> JSONResponse:
    return problem_response(problem.status, problem.code, problem.detail, title=problem.title, errors=problem.errors, headers=problem.headers)


def validation_errors(error: ValidationError, prefix: str = "") -> list[dict[str, Any]]:
    found = []
    for e in error.errors(include_url=False, include_input=False):
        location = ".".join(str(p) for p in e["loc"])
        found.append({"field": f"{prefix}{location}" if location else prefix.rstrip(".") or "body", "message": e["msg"]})
    return found


def invalid_request(errors: list[dict[str, Any]], detail: str = "the request is not valid") -> ApiProblem:
    return ApiProblem(422, "validation-failed", "Validation failed", detail, errors=errors)
