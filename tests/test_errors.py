"""The one error family (``bot.errors``): every error is worded by ``render_error`` in the user's
language, and the API doors take their status and headers from its outcome."""

from __future__ import annotations

import pytest

from bot.config import SettingsError
from bot.domain import AppError, Outcome
from bot.errors import HTTP_STATUS, AarhusAIError, http_headers, http_status, render_error
from bot.governance.audit import AuditTampering
from bot.llm.catalogue import CatalogueError
from bot.llm.errors import (
    EmbeddingRefused,
    EndpointError,
    ModelRejected,
    ModelTimeout,
    ModelUnavailable,
    RerankError,
)
from bot.llm.router import NoModelConfigured
from bot.rag.errors import IngestError
from bot.skills import SkillError
from bot.teams.files import Refused
from bot.teams.identity import ServiceUrlRefused

# error, HTTP status, a piece of its Danish and of its English rendering
CASES: list[tuple[AarhusAIError, int, str, str]] = [
    (AppError(Outcome.NOT_FOUND, "api_specialist_unknown", ref="jura"), 404, "'jura' findes", "'jura' does"),
    (AppError(Outcome.FORBIDDEN, "uploads_builders_only"), 403, "Kun Buildere", "Only Builders"),
    (AppError(Outcome.INVALID, "api_no_question"), 400, "fra brugeren", "from the user"),
    (AppError(Outcome.UNAUTHENTICATED, "api_key_missing"), 401, "API-nøgle", "API key"),
    (AppError(Outcome.RATE_LIMITED, "api_rate_limited", name="k", seconds=7), 429, "om 7 sek", "in 7 sec"),
    (AppError(Outcome.UNCHANGED, "no_changes"), 400, "Ingen ændringer", "No changes"),
    (Refused("internal", host="10.0.0.1"), 403, "10.0.0.1 peger", "10.0.0.1 points"),
    (ModelUnavailable("m1"), 502, "'m1' svarer ikke", "'m1' is not answering"),
    (ModelTimeout("m1", 30), 502, "over 30 sekunder", "over 30 seconds"),
    (ModelRejected("m1", "400"), 502, "'m1' afviste", "'m1' rejected"),
    (RerankError("rerank endpoint r1: timeout"), 502, "svarer ikke", "not answering"),
    (EmbeddingRefused("e1", "personal data", {"cpr": 1}), 502, "sendte ikke", "did not send"),
    (NoModelConfigured(), 503, "sprogmodel", "language model"),
    (IngestError("a.pdf", "unsupported", ext=".xyz"), 400, "'a.pdf' blev ikke tilføjet", "'a.pdf' was not"),
    (SettingsError("AARHUSAI_PORT skal være et tal"), 500, "AARHUSAI_PORT skal", "AARHUSAI_PORT skal"),
    (CatalogueError("models.yaml: id mangler"), 500, "id mangler", "id mangler"),
    (SkillError("skill.yaml: navn mangler"), 500, "navn mangler", "navn mangler"),
    (AuditTampering("audit_events is append-only"), 403, "sikkerhedshensyn", "security reasons"),
    (ServiceUrlRefused("service URL refused (host)"), 403, "sikkerhedshensyn", "security reasons"),
]


@pytest.mark.parametrize(("error", "status", "da", "en"), CASES, ids=lambda v: type(v).__name__)
def test_every_error_renders_in_both_languages_with_its_status(
    error: AarhusAIError, status: int, da: str, en: str
) -> None:
    danish, english = render_error(error, "da"), render_error(error, "en")
    assert da in danish and en in english
    assert danish and english and "{" not in danish + english  # every field filled in
    assert error.render("en") == english  # the method and the function are one way
    assert http_status(error) == status


def test_an_error_renders_its_message_not_its_log_line() -> None:
    """``str()`` is for the log (it may name an endpoint or a host); the user sees the message."""
    for error in (RerankError("rerank endpoint r1 at 10.1.2.3: timeout"), ServiceUrlRefused("evil.example")):
        assert str(error) not in render_error(error, "da")


def test_an_ingest_error_renders_as_before() -> None:
    from bot.messages import t

    error = IngestError("a.pdf", "too_large", size_mb=12.5, limit_mb=10)
    for locale in ("da", "en"):
        reason = t("ingest_too_large", locale, size_mb=12.5, limit_mb=10)
        assert render_error(error, locale) == t("ingest_refused", locale, filename="a.pdf", reason=reason)
        assert error.message(locale) == render_error(error, locale)


def test_a_model_error_keeps_its_older_names_for_the_answering_service() -> None:
    error = ModelTimeout("m1", 30)
    assert (error.message_key, error.values()) == ("model_timeout", {"model": "m1", "seconds": 30})


def test_every_outcome_has_a_status() -> None:
    assert set(HTTP_STATUS) == set(Outcome)


@pytest.mark.parametrize(
    ("error", "headers"),
    [
        (
            AppError(Outcome.UNAUTHENTICATED, "api_key_missing"),
            {"WWW-Authenticate": 'Bearer realm="aarhusai"'},
        ),
        (AppError(Outcome.RATE_LIMITED, "api_rate_limited", name="k", seconds=7), {"Retry-After": "7"}),
        (AppError(Outcome.RATE_LIMITED, "api_rate_limited"), {"Retry-After": "1"}),
        (AppError(Outcome.NOT_FOUND, "api_specialist_unknown", ref="x"), {}),
        (EndpointError("e1: down"), {}),
    ],
)
def test_the_headers_a_status_needs(error: AarhusAIError, headers: dict[str, str]) -> None:
    assert http_headers(error) == headers
