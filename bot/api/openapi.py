"""The OpenAPI 3.1 document for ``/v1``, built from the same pydantic models the handlers use, so the
contract cannot drift from the code. It says what the service refuses as precisely as a schema can
(types, lengths, enums, required fields) and every status a caller can get; asked with a key, ``model``
is an enum of the specialists that key may use. ``tests/test_openapi_contract.py`` runs schemathesis
against it."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from pydantic import BaseModel

from bot import __version__
from bot.domain import SLUG_PATTERN
from bot.http_body import MAX_JSON_DEPTH, MAX_NUMBER_DIGITS, MAX_STRING_CHARS, READ_TIMEOUT_S


def _schemas(*models: type[BaseModel]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        out["headers"] = {
            name: {"description": text, "required": True, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    return out


EXAMPLE_MODEL = "borgerservice"


def document(models: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The contract; ``models``: the slugs a key may use (none at all: no model is valid)."""
    if models is None:
        return _document()
    doc = copy.deepcopy(_document())
    model = doc["components"]["schemas"]["ChatRequest"]["properties"]["model"]
    path_model = doc["paths"]["/v1/models/{model}"]["get"]["parameters"][0]["schema"]
    if models:
        model["enum"] = list(models)
        path_model["enum"] = list(models)
        chat = doc["paths"]["/v1/chat/completions"]["post"]["requestBody"]["content"]["application/json"]
        chat["examples"] = _examples(models[0])
    else:
        model["not"] = {}  # no specialist: any model is refused (404)
        path_model["not"] = {}
    return doc


def _examples(model: str) -> dict[str, Any]:
    question = {"role": "user", "content": "Hvad koster et nyt pas?"}
    return {
        "answer": {"summary": "A cited answer", "value": {"model": model, "messages": [question]}},
        "stream": {
            "summary": "The same answer, streamed",
            "value": {"model": model, "messages": [question], "stream": True},
        },
    }


@cache
def _document() -> dict[str, Any]:
    from bot.api.openai_compat import (
        MAX_REQUEST_BYTES,
        ChatCompletion,
        ChatCompletionChunk,
        ChatRequest,
        ModelList,
        ModelOut,
        PassageOut,
    )

    schemas = _schemas(ChatRequest, ChatCompletion, ChatCompletionChunk, ModelList, ModelOut, PassageOut)
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
    schemas["ChatCompletionEvent"] = {
        "description": "One Server-Sent Event: a chat.completion.chunk, or [DONE] at the end.",
        "type": "object",
        "required": ["data"],
        "properties": {
            "data": {
                "anyOf": [
                    {"const": "[DONE]"},
                    {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "contentSchema": _ref("ChatCompletionChunk"),
                    },
                ]
            }
        },
    }
    errors = {
        "400": _error(
            "Invalid request: not a JSON object, a field of the wrong type or length, a number with more "
            f"than {MAX_NUMBER_DIGITS} digits, NaN or Infinity, invalid UTF-8 or a lone surrogate, JSON "
            f"nested more than {MAX_JSON_DEPTH} deep, a string over {MAX_STRING_CHARS} characters, no "
            "question in the last message, or a parameter that would change the answer's shape "
            "(response_format other than text, tools, functions, n other than 1, logprobs): error.param "
            "names the field, error.code is unsupported_parameter for the latter."
        ),
        "401": _error("No key, or not a live one.", {"WWW-Authenticate": 'Bearer realm="aarhusai"'}),
        "404": _error("No such specialist, or the key may not use it."),
        "408": _error(f"The body did not arrive within {READ_TIMEOUT_S:g} seconds."),
        "413": _error(f"The body is larger than {MAX_REQUEST_BYTES} bytes."),
        "429": _error(
            "Over the key's budget; see the Retry-After header.", {"Retry-After": "Seconds to wait."}
        ),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "AarhusAI specialists (OpenAI-compatible)",
            "version": __version__,
            "description": (
                "Each specialist is a model (id = slug). Answers are grounded and cited: [n] markers in the "
                "text, the passages in message.citations and as url_citation annotations (links to "
                "/v1/passages/{passage}); usage is counted by the model server or estimated "
                "(usage.estimated). "
                "Authenticate with Authorization: Bearer <key> "
                "(aarhusai apikey create). The specialist's prompt and settings govern; system messages and "
                "sampling parameters from the caller are ignored; parameters that would change the answer's "
                "shape are refused."
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
            "/v1/models/{model}": {
                "get": {
                    "summary": "One specialist this key may use",
                    "parameters": [
                        {
                            "name": "model",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": SLUG_PATTERN, "maxLength": 64},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The specialist.",
                            "content": {"application/json": {"schema": _ref("ModelOut")}},
                        },
                        **{k: v for k, v in errors.items() if k in ("401", "404", "429")},
                    },
                }
            },
            "/v1/passages/{passage}": {
                "get": {
                    "summary": "A cited passage: where a url_citation annotation links",
                    "parameters": [
                        {
                            "name": "passage",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "pattern": "^[0-9]{1,18}$"},
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The passage, made safe like an answer.",
                            "content": {"application/json": {"schema": _ref("PassageOut")}},
                        },
                        **{k: v for k, v in errors.items() if k in ("401", "429")},
                        "404": _error("No such passage, or the key may not use its specialist."),
                    },
                }
            },
            "/v1/chat/completions": {
                "post": {
                    "summary": "Ask a specialist (stream: true for Server-Sent Events)",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": _ref("ChatRequest"),
                                "examples": _examples(EXAMPLE_MODEL),
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": (
                                "The cited answer; with stream: true, text/event-stream of "
                                "chat.completion.chunk events, the last with delta.citations, "
                                "delta.annotations and aarhusai (then, with "
                                "stream_options.include_usage, one with empty choices and usage), "
                                "then [DONE]."
                            ),
                            "content": {
                                "application/json": {"schema": _ref("ChatCompletion")},
                                "text/event-stream": {"schema": _ref("ChatCompletionEvent")},
                            },
                        },
                        **errors,
                        "502": _error("The specialist's language model failed."),
                    },
                }
            },
        },
    }
