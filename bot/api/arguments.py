"""A tool's arguments checked against the JSON schema it publishes, worded for the agent that sent them.

The MCP SDK validates with pydantic and answers with the whole error dump (input values, URLs to
pydantic's documentation), in English. An agent corrects itself better from one short sentence that
names the argument and the rule it broke — the rule an agent already saw in ``tools/list`` — in the
caller's language. The values sent are never repeated back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from bot.messages import t

_NAME_CHARS = 64


def argument_problem(schema: Mapping[str, Any], arguments: object, locale: str) -> str | None:
    """The first thing wrong with ``arguments`` as one sentence, or None when they fit ``schema``."""
    if not isinstance(arguments, dict):
        return t("mcp_arguments_not_object", locale)
    error = best_match(Draft202012Validator(schema).iter_errors(arguments))
    return None if error is None else _worded(error, locale)


def _worded(error: ValidationError, locale: str) -> str:
    name = ".".join(str(p) for p in error.absolute_path)[:_NAME_CHARS] or "arguments"
    rule, value, schema = error.validator, error.validator_value, error.schema
    if rule == "required" and isinstance(error.instance, dict):
        missing = [str(p) for p in value if p not in error.instance]
        prefix = f"{name}." if error.absolute_path else ""
        return t("mcp_argument_missing", locale, name=prefix + (missing[0] if missing else "?"))
    if rule == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        extra = sorted(str(k)[:_NAME_CHARS] for k in error.instance if k not in allowed)
        return t(
            "mcp_argument_unknown", locale, name=", ".join(extra[:3]), allowed=", ".join(sorted(allowed))
        )
    if rule in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return t("mcp_argument_range", locale, name=name, low=low, high=high)
        key = "mcp_argument_at_most" if rule.endswith("aximum") else "mcp_argument_at_least"
        return t(key, locale, name=name, limit=value)
    simple = {
        "maxLength": "mcp_argument_too_long",
        "minLength": "mcp_argument_too_short",
        "maxItems": "mcp_argument_too_many",
        "type": "mcp_argument_type",
        "pattern": "mcp_argument_pattern",
        "enum": "mcp_argument_enum",
        "const": "mcp_argument_enum",
    }
    if rule in simple:
        limit = value if not isinstance(value, list) else ", ".join(str(v) for v in value)
        return t(simple[rule], locale, name=name, limit=limit)
    return t("mcp_argument_invalid", locale, name=name)
