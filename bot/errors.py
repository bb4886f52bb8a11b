"""Every error the service raises on purpose, as one tree, and the one place that renders them.

Each error knows its message key (``bot.messages``) and the values that fill it in, and its ``Outcome``;
so a door never picks words or an HTTP status itself: ``render_error(error, locale)`` gives the text in
the user's language and ``http_status(error)`` / ``http_headers(error)`` the API doors' answer::

    AarhusAIError                      key, params(), outcome
    ├── AppError                       a refused or invalid operation: AppError(Outcome.X, "key", **values)
    │   ├── Refused                    (bot.teams.files) a download URL the bot may not fetch
    │   ├── GraphError                 (bot.connections.graph_auth) Graph refused a connection's sync
    │   └── DownloadFailed             (bot.connections.graph_http) one connected file not fetched
    ├── ModelError                     a chat model call failed                        (bot.llm.errors)
    │   ├── ModelUnavailable           unreachable, or a server error
    │   ├── ModelTimeout               no answer in time
    │   └── ModelRejected              a 4xx: bad model name, context too long ...
    ├── EndpointError                  an embeddings or rerank endpoint failed         (bot.llm.errors)
    │   ├── EmbeddingEndpointError
    │   ├── RerankError
    │   └── EndpointRefused            the router would not send: classification or personal data
    │       ├── EmbeddingRefused       (also an EmbeddingEndpointError)
    │       └── RerankRefused          (also a RerankError)
    ├── NoModelConfigured              the catalogue is empty: the model-less mode     (bot.llm.router)
    ├── IngestError                    a source was refused; nothing of it stored      (bot.rag.errors)
    ├── ConfigError                    an operator's setting or file is invalid; str() is one Danish line
    │   ├── SettingsError              (bot.config)
    │   ├── CatalogueError             (bot.llm.catalogue)
    │   ├── ManifestError              (bot.teams.manifest; also a ValueError)
    │   ├── CaseFileError              (bot.evals.cases; also a ValueError)
    │   └── SkillError                 (bot.skills)
    ├── SecurityError                  a guard refused; the user sees no detail
    │   ├── AuditTampering             (bot.governance.audit) an audit row changed or deleted
    │   └── ServiceUrlRefused          (bot.teams.identity; also a PermissionError)
    ├── BodyRefused                    (bot.http_body) a request body past a limit, while it is parsed
    └── AnswerStopped                  (bot.conversation.channel) the reader pressed Stop, or time ran out

The subclasses live next to the code that raises them and are importable from there;
``tests/test_architecture.py`` checks that no exception class under ``bot/`` stands outside this tree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    """How an operation ended; a door picks its words and status from this, never from prose."""

    DONE = "done"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    INVALID = "invalid"
    PRECONDITION = "precondition"  # a governance step is missing (screening, approval, a target)
    CONFLICT = "conflict"
    UNAUTHENTICATED = "unauthenticated"  # no key, or not a live one
    RATE_LIMITED = "rate_limited"
    UPSTREAM_FAILED = "upstream_failed"  # a model or endpoint the bot asked failed or refused
    UNAVAILABLE = "unavailable"  # nothing to ask: no model is configured
    BROKEN = "broken"  # the service's own configuration is wrong; only an operator can fix it


class AarhusAIError(Exception):
    """The one base. ``key`` names the message in ``bot.messages`` and ``params()`` fills it in;
    ``outcome`` says how the operation ended (and so the HTTP status). Subclasses set them."""

    key: str = "internal_error"
    outcome: Outcome = Outcome.BROKEN

    def params(self) -> dict[str, object]:
        """The values the message ``key`` is filled in with."""
        return {}

    def render(self, locale: str = "da") -> str:
        return render_error(self, locale)


class AppError(AarhusAIError):
    """A refused or invalid operation. ``key`` names the message in ``bot.messages``; ``values`` fill
    it in; ``outcome`` is given by whoever refuses."""

    def __init__(self, outcome: Outcome, key: str, /, **values: Any) -> None:
        super().__init__(f"{outcome}: {key} {values}" if values else f"{outcome}: {key}")
        self.outcome = outcome
        self.key = key
        self.values = values

    def params(self) -> dict[str, object]:
        return self.values


class ConfigError(AarhusAIError):
    """An operator's setting or file is invalid; ``str()`` is one Danish line naming what and where,
    and it is also what any door shows (the message ``config_error`` is that line)."""

    key = "config_error"
    outcome = Outcome.BROKEN

    def params(self) -> dict[str, object]:
        return {"detail": str(self)}


class SecurityError(AarhusAIError):
    """A guard refused an operation; ``str()`` is for the log only, the user sees a plain refusal."""

    key = "security_refused"
    outcome = Outcome.FORBIDDEN


def render_error(error: AarhusAIError, locale: str = "da") -> str:
    """``error`` in ``locale`` (Danish unless ``"en"``): the one way any door words an error."""
    from bot.messages import t

    return t(error.key, locale, **error.params())


HTTP_STATUS: dict[Outcome, int] = {
    Outcome.DONE: 400,  # raised with a success outcome ("no_changes"): the request, as sent, did nothing
    Outcome.UNCHANGED: 400,
    Outcome.INVALID: 400,
    Outcome.UNAUTHENTICATED: 401,
    Outcome.FORBIDDEN: 403,
    Outcome.NOT_FOUND: 404,
    Outcome.CONFLICT: 409,
    Outcome.PRECONDITION: 409,
    Outcome.RATE_LIMITED: 429,
    Outcome.BROKEN: 500,
    Outcome.UPSTREAM_FAILED: 502,
    Outcome.UNAVAILABLE: 503,
}


def http_status(error: AarhusAIError) -> int:
    """The HTTP status the API doors answer ``error`` with."""
    return HTTP_STATUS[error.outcome]


def http_headers(error: AarhusAIError) -> dict[str, str]:
    """The headers that status needs (RFC 9110: a 401 names its scheme; a 429 says when to retry)."""
    if error.outcome == Outcome.UNAUTHENTICATED:
        return {"WWW-Authenticate": 'Bearer realm="aarhusai"'}
    if error.outcome == Outcome.RATE_LIMITED:
        return {"Retry-After": str(error.params().get("seconds", 1))}
    return {}
