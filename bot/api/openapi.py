"""The OpenAPI 3.1 document for ``/v1``, built from the same pydantic models the handlers use, so the
contract cannot drift from the code."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from bot import __version__


def _schemas(*models: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


@cache
def document() -> dict[str, Any]:
    from bot.api.openai_compat import ChatCompletion, ChatRequest, ModelList

    schemas = _schemas(ChatRequest, ChatCompletion, ModelList)
    schemas["Error"] = {
        "type": "object",
        "properties": {
            "error": {
                "type": "object",
                "properties": {
                    "message": {"type": "string"},
                    "type": {"type": "string"},
                    "param": {"type": ["string", "null"]},
                    "code": {"type": ["string", "null"]},
                },
                "required": ["message", "type"],
            }
        },
        "required": ["error"],
    }
    errors = {
        "400": _error("Invalid request."),
        "401": _error("No key, or not a live one."),
        "404": _error("No such specialist, or the key may not use it."),
        "429": _error("Over the key's budget; see the Retry-After header."),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AarhusAI specialists (OpenAI-compatible)",
            "version": __version__,
            "description": (
                "Each specialist is a model (id = slug). Answers are grounded and cited: [n] markers in the "
                "text, the passages in message.citations. Authenticate with Authorization: Bearer <key> "
                "(aarhusai apikey create). The specialist's prompt and settings govern; system messages and "
                "sampling parameters from the caller are ignored."
            ),
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
        "paths": {
            "/v1/models": {
                "get": {
                    "summary": "The specialists this key may use",
                    "responses": {
                        "200": {
                            "description": "The list.",
                            "content": {"application/json": {"schema": _ref("ModelList")}},
                        },
                        **{k: v for k, v in errors.items() if k in ("401", "429")},
                    },
                }
            },
            "/v1/chat/completions": {
                "post": {
                    "summary": "Ask a specialist (stream: true for Server-Sent Events)",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("ChatRequest")}},
                    },
                    "responses": {
                        "200": {
                            "description": (
                                "The cited answer; with stream: true, text/event-stream of "
                                "chat.completion.chunk events, the last with delta.citations and aarhusai, "
                                "then [DONE]."
                            ),
                            "content": {
                                "application/json": {"schema": _ref("ChatCompletion")},
                                "text/event-stream": {"schema": {"type": "string"}},
                            },
                        },
                        **errors,
                        "502": _error("The specialist's language model failed."),
                    },
                }
            },
        },
    }
