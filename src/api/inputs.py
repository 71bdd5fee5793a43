"""Reading a request's input: path parameters, query, and the body as JSON,
CSV or a multipart upload, each checked against its pydantic model. Every
problem names its field (``path.user_id``, ``query.limit``, ``users.3.last_name``)."""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from api.problems import ApiProblem, invalid_request, validation_errors


class Body(StrEnum):
    JSON = "application/json"
    CSV = "text/csv"
    MULTIPART = "multipart/form-data"


@dataclass(frozen=True)
class Upload:
    """A body that is not JSON: CSV text, or a multipart form with a file."""

    media_type: str
    content: bytes
    fields: dict[str, str] = field(default_factory=dict)


def parse_path(params: dict[str, type], request: Request) -> dict[str, Any]:
    """The path parameters, as the endpoint's annotations type them."""
    values: dict[str, Any] = {}
    errors = []
    for name, kind in params.items():
        if _unstorable_text(request.path_params[name]) is not None:
            errors.append({"field": f"path.{name}", "message": "must not contain NUL characters"})
            continue
        try:
            values[name] = _adapter(kind).validate_python(request.path_params[name])
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
    raw: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if _unstorable_text(value) is not None:
            raise invalid_request([{"field": f"query.{key}", "message": "must not contain NUL characters"}])
    for key in request.query_params:
        if key in model.model_fields and _is_list(model.model_fields[key].annotation):
            raw[key] = request.query_params.getlist(key)
        else:
            raw[key] = request.query_params[key]
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        raise invalid_request(validation_errors(error, "query.")) from None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list or any(typing.get_origin(a) is list for a in typing.get_args(annotation))


def parse_json_body(model: type[BaseModel], raw: bytes) -> BaseModel:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise ApiProblem(400, "malformed-json", "Malformed JSON", "the body is nested too deeply") from None
    unstorable = _unstorable_text(data)
    if unstorable is not None:
        raise invalid_request([{"field": unstorable or "body", "message": "must not contain NUL characters or unpaired surrogates"}])
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_request(validation_errors(error)) from None


def _unstorable_text(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string no database can store as text, if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return path
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path
        return None
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _unstorable_text(key) is not None:
            return where
        found = _unstorable_text(item, where)
        if found is not None:
            return found
    return None


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_input(request: Request, accepted: tuple[Body, ...], limit: int) -> tuple[bytes | None, Upload | None]:
    """The raw JSON body, or an upload; checks the media type against those ``accepted``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type in ("", "application/json") or media_type.endswith("+json"):
        if Body.JSON not in accepted:
            raise _unsupported(accepted)
        return await read_body(request, limit), None
    if media_type == Body.CSV and Body.CSV in accepted:
        return None, Upload(Body.CSV, await read_body(request, limit))
    if media_type == Body.MULTIPART and Body.MULTIPART in accepted:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise ApiProblem(413, "body-too-large", "Request too large", f"the body must be at most {limit} bytes")
        try:
            form = await request.form(max_files=1, max_fields=20, max_part_size=limit)
        except Exception as error:  # the multipart parser's errors carry no common base
            raise ApiProblem(400, "malformed-multipart", "Malformed form", f"the multipart body could not be read: {error}") from None
        fields: dict[str, str] = {}
        content: bytes | None = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                content = await value.read(limit + 1)
                if len(content) > limit:
                    raise ApiProblem(413, "body-too-large", "Request too large", f"the file must be at most {limit} bytes")
            else:
                fields[key] = value
        await form.close()
        if content is None:
            raise invalid_request([{"field": "file", "message": "attach the CSV file as the form field 'file'"}])
        return None, Upload(Body.MULTIPART, content, fields)
    raise _unsupported(accepted)


def _unsupported(accepted: tuple[Body, ...]) -> ApiProblem:
    return ApiProblem(415, "unsupported-media-type", "Unsupported media type", f"send the body as {' or '.join(accepted)}")
