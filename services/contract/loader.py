"""Reading an ODCS file: YAML, checked against the standard's own JSON Schema (shipped in the
open-data-contract-standard package, the version pinned in services/requirements.txt), then read with its
pydantic model."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft201909Validator
from jsonschema.exceptions import ValidationError as SchemaError
from open_data_contract_standard.model import OpenDataContractStandard
from pydantic import ValidationError as ModelError

from services.contract.errors import NotOdcsError

MAX_COMPLAINTS = 5  # past these, a count: the first few say what to fix


def _validator() -> Draft201909Validator:
    # not cached: a function reads one contract, and the schema's ~10,000 objects would stay in every garbage
    # collection of the validator's hot loop
    schema = json.loads(resources.files("open_data_contract_standard").joinpath("schema.json").read_text("utf-8"))
    return Draft201909Validator(schema)


def read_document(text: str, source: str = "the contract") -> dict[str, Any]:
    """The YAML document of an ODCS file, once the standard's JSON Schema accepts it."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or "it cannot be read"
        raise NotOdcsError(f"{source} is not YAML{where}: {problem}") from None
    if not isinstance(document, dict):
        kind = "empty" if document is None else f"a {type(document).__name__}"
        raise NotOdcsError(f"{source} is not an ODCS document: it is {kind}, not a mapping with apiVersion and kind")
    errors = sorted(_validator().iter_errors(document), key=lambda e: (len(e.absolute_path), list(map(str, e.path))))
    if errors:
        raise NotOdcsError(_complaint(source, errors))
    return document


def _complaint(source: str, errors: list[SchemaError]) -> str:
    """The standard's complaints, one line each, at the deepest error of each branch the schema tried."""
    lines = []
    for error in errors[:MAX_COMPLAINTS]:
        best = _deepest(error)
        lines.append(f"  {_path(best.absolute_path)}: {_message(best)}")
    more = len(errors) - MAX_COMPLAINTS
    if more > 0:
        lines.append(f"  and {more} more")
    return f"{source} is not a valid ODCS v3 document (the standard's JSON Schema refuses it):\n" + "\n".join(lines)


def _deepest(error: SchemaError) -> SchemaError:
    # oneOf/anyOf/if-then errors hide the useful one among their context; the deepest path is the most precise
    while error.context:
        error = max(error.context, key=lambda e: len(e.absolute_path))
    return error


def _message(error: SchemaError) -> str:
    if error.validator == "enum":
        allowed = ", ".join(json.dumps(v) for v in error.validator_value)
        return f"{json.dumps(error.instance)} is not one of {allowed}"
    if error.validator in ("unevaluatedProperties", "additionalProperties"):
        return (
            str(error.message)
            .replace("Unevaluated properties are", "these fields are")
            .replace("Additional properties are", "these fields are")
        )
    message = str(error.message)
    return message if len(message) <= 200 else message[:197] + "..."


def _path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(the document)"


def read_model(document: dict[str, Any], source: str = "the contract") -> OpenDataContractStandard:
    try:
        return OpenDataContractStandard.model_validate(document)
    except ModelError as error:  # the schema accepted it; the model is stricter in places
        first = error.errors()[0]
        raise NotOdcsError(f"{source}: {_path(first['loc'])}: {first['msg']}") from None


def load_file(path: Path) -> tuple[dict[str, Any], OpenDataContractStandard]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise NotOdcsError(f"{path} is not UTF-8 text") from None
    document = read_document(text, str(path))
    return document, read_model(document, str(path))
