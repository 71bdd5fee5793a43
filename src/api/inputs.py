"""Reading a request's input: path parameters, query, and the body as JSON,
CSV or a multipart upload, each checked against its pydantic model. Every
problem names its field (``path.user_id``, ``query.limit``, ``users.3.last_name``)."""

from __future__ import annotations

import functools
import json
import typing
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from api.problems import ApiProblem, invalid_request, validation_errors
from domain import text


class Body(StrEnum):
    JSON = "application/json"
    CSV = "text/csv"
    MULTIPART = "multipart/form-data"


UPLOAD_FIELD = "file"  # the multipart form field that carries an upload


@dataclass(frozen=True)
class Upload:
    """A body that is not JSON: CSV text, or a multipart form with a file."""

    media_type: str
    content: bytes
    fields: dict[str, str] = field(default_factory=dict)


def parse_path(params: dict[str, type], request: Request) -> dict[str, Any]:
    """The path parameters, as the endpoint's annotations type them."""
    values: dict[str, Any] = {}
    errors: list[dict[str, Any]] = []
    for name, kind in params.items():
        try:
            raw = text.check(name, request.path_params[name])
        except text.RefusedText as refused:
            errors.append({"field": f"path.{name}", "message": str(refused)})
            continue
        try:
            values[name] = _adapter(kind).validate_python(raw)
        except ValidationError as error:
            message = "must be a UUID" if kind is UUID else error.errors(include_url=False, include_input=False)[0]["msg"]
            errors.append({"field": f"path.{name}", "message": message})
    if errors:
        raise invalid_request(errors)
    return values


@functools.cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def parse_query(model: type[BaseModel], request: Request) -> BaseModel:
    items, errors = [], []
    for key, value in request.query_params.multi_items():
        try:
            items.append((text.check(key, key), text.check(key, value)))
        except text.RefusedText as refused:
            errors.append({"field": f"query.{key}", "message": str(refused)})
    raw: dict[str, Any] = {}
    for key, value in items:
        if key in model.model_fields and _is_list(model.model_fields[key].annotation):
            raw.setdefault(key, []).append(value)
        elif key in raw:
            errors.append({"field": f"query.{key}", "message": "given more than once (it takes one value)"})
        else:
            raw[key] = value
    try:
        parsed = model.model_validate(raw)
    except ValidationError as error:
        raise invalid_request(_together(errors, validation_errors(error, "query."))) from None
    if errors:
        raise invalid_request(errors)
    return parsed


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list or any(typing.get_origin(a) is list for a in typing.get_args(annotation))


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _pairs_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


class _LongNumber(ValueError):
    pass


def _integer(digits: str) -> int:
    """An integer of the body; one longer than Python converts (4,300 digits, a guard
    against quadratic time) is refused as such, not with Python's advice to raise the limit."""
    try:
        return int(digits)
    except ValueError:
        raise _LongNumber() from None


def strict_json(raw: bytes) -> Any:
    """JSON as RFC 8259 interoperably means it: a key twice in one object (where
    parsers disagree on which wins) is refused, as are NaN and Infinity."""
    try:
        return json.loads(raw, object_pairs_hook=_pairs_without_duplicates, parse_constant=_no_constant, parse_int=_integer)
    except _LongNumber:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", "the body has a number with more digits than any field takes") from None
    except _DuplicateKey as duplicate:
        key = duplicate.key
        raise invalid_request([{"field": key or "body", "message": "appears more than once in the same object"}], "the body has a duplicate key") from None
    except RecursionError:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", "the body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", f"the body is not valid JSON: {error}") from None


class InvalidBody(ApiProblem):
    """The 422 of a JSON body its model refuses, holding the body as read (text checked),
    for an operation that can name more faults in the same answer (``on_invalid_body``)."""

    def __init__(self, errors: list[dict[str, Any]], data: Any) -> None:
        problem = invalid_request(errors)
        super().__init__(problem.status, problem.code, problem.title, problem.detail, errors=problem.errors)
        self.data = data


def parse_json_body(model: type[BaseModel], raw: bytes) -> BaseModel:
    """The body as the model, or a 422 (:class:`InvalidBody`) listing every field at fault
    at once: refused text (``domain.text``) and what the model refuses elsewhere, item by item."""
    data, errors = checked_text(strict_json(raw))
    try:
        parsed = model.model_validate(data)
    except ValidationError as error:
        raise InvalidBody(_in_body_order(_together(errors, validation_errors(error))), data) from None
    if errors:
        raise InvalidBody(errors, data)
    return parsed


def _together(found: list[dict[str, Any]], model_errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The problems found before the model's validation, and the model's own about
    any other field (a field refused already is not reported twice, nor its items)."""
    refused = {e["field"] for e in found}
    return found + [e for e in model_errors if not any(e["field"] == r or e["field"].startswith(r + ".") for r in refused)]


def _in_body_order(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Item by item, by the list positions in each dotted field (``users.2`` before
    ``users.10``); stable, so the problems of one item keep the order they were found in.
    A position is ASCII digits: a key of the client's such as ``²`` is a digit to
    ``str.isdigit`` but not a number to ``int`` (schemathesis found the 500)."""
    return sorted(errors, key=lambda e: tuple(int(part) for part in e["field"].split(".") if part.isascii() and part.isdigit()))


def checked_text(value: Any, path: str = "", field: str = "") -> tuple[Any, list[dict[str, Any]]]:
    """The value with every string (keys too) through :func:`domain.text.check`, and
    the problems found, each naming its dotted field."""
    if isinstance(value, str):
        try:
            return text.check(field, value), []
        except text.RefusedText as refused:
            return value, [{"field": path or "body", "message": str(refused)}]
    errors: list[dict[str, Any]] = []
    if isinstance(value, list):
        cleaned_list = []
        for index, item in enumerate(value):
            cleaned, found = checked_text(item, f"{path}.{index}" if path else str(index), field)
            cleaned_list.append(cleaned)
            errors += found
        return cleaned_list, errors
    if isinstance(value, dict):
        cleaned_dict = {}
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            clean_key, found = checked_text(key, where, key)
            cleaned, found_in_item = checked_text(item, where, key)
            cleaned_dict[clean_key] = cleaned
            errors += found + found_in_item
        return cleaned_dict, errors
    return value, []


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_json(media_type: str) -> bool:
    """A JSON body must say so: a request without a Content-Type (what a cross-site
    form or ``fetch`` in no-cors mode sends without a preflight) is not read as JSON."""
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def refuse_unexpected_body(request: Request) -> None:
    """An operation that takes no body refuses one of a media type that is not JSON
    (a form posted to it from another page is not a request of this API)."""
    media_type = media_type_of(request)
    if media_type and not is_json(media_type):
        raise ApiProblem(415, "unsupported-media-type", "Unsupported media type", "this operation takes no body; send none, or JSON")


async def read_input(request: Request, accepted: tuple[Body, ...], limit: int) -> tuple[bytes | None, Upload | None]:
    """The raw JSON body, or an upload; checks the media type against those ``accepted``."""
    media_type = media_type_of(request)
    if is_json(media_type):
        if Body.JSON not in accepted:
            raise _unsupported(accepted)
        return await read_body(request, limit), None
    if media_type == Body.CSV and Body.CSV in accepted:
        return None, Upload(Body.CSV, await read_body(request, limit))
    if media_type == Body.MULTIPART and Body.MULTIPART in accepted:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
            raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
        try:
            form = await request.form(max_files=1, max_fields=20, max_part_size=limit)
        except Exception as error:  # the multipart parser's errors carry no common base
            raise ApiProblem(400, "malformed-multipart", "Malformed form", f"the multipart body could not be read: {error}") from None
        fields: dict[str, str] = {}
        content: bytes | None = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != UPLOAD_FIELD:
                    # Read under any name, a file sent by mistake (a photo, a second form's) would be taken for the CSV.
                    await form.close()
                    raise invalid_request([{"field": UPLOAD_FIELD, "message": f"attach the CSV file as the form field '{UPLOAD_FIELD}'; it came under another name"}])
                content = await value.read(limit + 1)
                if len(content) > limit:
                    raise ApiProblem(413, "body-too-large", "Request too large", f"the file must be at most {limit} bytes")
            else:
                fields[key] = value
        await form.close()
        if content is None:
            raise invalid_request([{"field": UPLOAD_FIELD, "message": f"attach the CSV file as the form field '{UPLOAD_FIELD}'"}])
        return None, Upload(Body.MULTIPART, content, fields)
    raise _unsupported(accepted)


def _unsupported(accepted: tuple[Body, ...]) -> ApiProblem:
    return ApiProblem(415, "unsupported-media-type", "Unsupported media type", f"send the body as {' or '.join(accepted)}")
