"""What a route says about itself in the OpenAPI document (checked when it is registered)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from covet.http._exceptions import ConfigurationError

_STATUS_RANGES = frozenset({"1XX", "2XX", "3XX", "4XX", "5XX", "default"})
_RESPONSE_KEYS = frozenset({"description", "model", "media_type", "content", "headers", "links"})


@dataclasses.dataclass(frozen=True)
class OperationOptions:
    """``tags``, ``summary``, ``description``, ``deprecated``, ``operation_id``, ``responses``,
    ``response_description`` and ``openapi_extra`` of a route (see docs/openapi.md)."""

    tags: tuple[str, ...] = ()
    summary: str | None = None
    description: str | None = None
    deprecated: bool = False
    operation_id: str | None = None
    responses: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    response_description: str = "Successful Response"
    openapi_extra: Mapping[str, Any] | None = None

    @classmethod
    def build(cls, where: str, options: Mapping[str, Any]) -> OperationOptions:
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(
                f"{where}: unexpected route option(s) {', '.join(map(repr, unknown))}; "
                f"route options are name, dependencies, status_code, max_body_size, "
                f"include_in_schema, response_model and {', '.join(sorted(known))}"
            )
        values = dict(options)
        tags = values.get("tags", ())
        if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
            raise ConfigurationError(f"{where}: tags must be a list of strings, not {tags!r}")
        values["tags"] = tuple(tags)
        values["responses"] = _check_responses(where, values.get("responses") or {})
        return cls(**values)

    def options(self) -> dict[str, Any]:
        """The keyword arguments that build this again (for route copies)."""
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != field.default
            and not (field.name == "responses" and not self.responses)
        }

    def with_tags(self, tags: Sequence[str]) -> OperationOptions:
        merged = tuple(dict.fromkeys([*tags, *self.tags]))
        return dataclasses.replace(self, tags=merged)


def _check_responses(where: str, responses: Mapping[Any, Any]) -> dict[str, Any]:
    """``{404: "Not found"}``, ``{404: Model}`` or ``{404: {"description": ..., "model": ...}}``."""
    checked: dict[str, Any] = {}
    for status, spec in responses.items():
        key = str(status).upper() if str(status).lower() != "default" else "default"
        if not (
            (isinstance(status, int) and 100 <= status <= 599)
            or (isinstance(status, str) and (status.isdigit() and 100 <= int(status) <= 599))
            or key in _STATUS_RANGES
        ):
            raise ConfigurationError(
                f"{where}: responses keys are status codes (100-599), '4XX'-style ranges or "
                f"'default', not {status!r}"
            )
        if isinstance(spec, dict):
            unknown = set(spec) - _RESPONSE_KEYS
            if unknown:
                raise ConfigurationError(
                    f"{where}: response {status}: unknown keys {sorted(unknown)}; use "
                    f"{sorted(_RESPONSE_KEYS)}"
                )
        elif not (
            isinstance(spec, str)
            or spec is None
            or isinstance(spec, type)
            or hasattr(spec, "__origin__")  # a generic alias (list[Item]) is a model too
        ):
            raise ConfigurationError(
                f"{where}: response {status} must be a description, a model type or a "
                f"dict, not {spec!r}"
            )
        checked[key] = spec
    return checked
