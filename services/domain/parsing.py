"""Payloads parsed by models (pydantic), with errors a person reads: a missing field names its path.

A payload the workflow (or a caller) did not send fails loudly here, as InvalidPayloadError, instead of deep
inside a step.
"""

from __future__ import annotations

from typing import Any, TypeVar, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from services.errors import ServiceError

M = TypeVar("M", bound=BaseModel)

FLAT = "run"  # a field whose own fields travel flat in its payload (a run's: services/domain/run.py)
_NOT_AN_OBJECT = frozenset({"model_type", "model_attributes_type", "dict_type"})


class InvalidPayloadError(ServiceError):
    """The payload is not what the workflow sends; the message names the missing field."""


def parse(model: type[M], payload: Any) -> M:
    """`payload` as `model`; InvalidPayloadError naming the first field missing or wrong (by its path in the
    payload: `chunk.key`)."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise InvalidPayloadError(_describe(model, error.errors()[0])) from None


def _describe(model: type[BaseModel], error: ErrorDetails) -> str:
    loc = [str(part) for part in error["loc"] if part != FLAT]
    paths: dict[str, str] = getattr(model, "payload_paths", {})  # fields the payload holds elsewhere
    loc[:1] = [paths.get(part, part) for part in loc[:1]]
    if error["type"] == "missing":
        return f"payload has no {'.'.join(loc)}"
    if error["type"] in _NOT_AN_OBJECT and loc and (first := _first_required(model, error["loc"])):
        return f"payload has no {'.'.join([*loc, first])}"  # an object expected: it has none of its fields
    return f"payload {'.'.join(loc) or 'itself'}: {error['msg']}"


def _first_required(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """The first required field of the model expected at `loc` (by the name the payload gives it)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):  # an item of a list: the list's annotation named its model
            continue
        fields = getattr(current, "model_fields", {})
        found = next((f for name, f in fields.items() if part in (name, f.validation_alias, f.alias)), None)
        if found is None:
            return None
        current = next((t for t in (found.annotation, *get_args(found.annotation)) if _is_model(t)), None)
    fields = getattr(current, "model_fields", {})
    return next((str(f.validation_alias or name) for name, f in fields.items() if f.is_required()), None)


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
