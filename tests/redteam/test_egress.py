"""Class 1 — endpoints outside the router. Every catalogue endpoint (chat, embeddings, rerank) is
reached only through the router's gate, which checks clearance and guards the whole payload.

One recording model server stands for every endpoint cleared only for ``offentlig`` (chat,
``/v1/embeddings`` and ``/v1/rerank``), another for every endpoint cleared for ``personfølsom``.
Generated CPR, phone, e-mail, account and IBAN values, in sources and in questions, never reach the
``offentlig`` endpoints of any kind (asserted on what the server received), reach the cleared ones
intact, and an endpoint not cleared for a specialist's classification gets nothing at all.

The servers run on their own event loop in a thread: the embeddings and rerank gates block (they run
on worker threads in the service), and Hypothesis drives plain functions.
"""

from __future__ import annotations

import asyncio
import datetime
import re
import threading
import unicodedata
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage, SystemMessage

from bot.app import Services
from bot.llm import EndpointRefused, ModelCatalogue, ModelRouter
from bot.rag.evaluation import Case
from bot.services import Actor
from bot.services.answering import Question
from tests.support.openai_server import RecordingModelServer

try:  # the shared red-team generators: values disguised the ways people and editors write them
    from tests.redteam import pii_generators as shared
except ImportError:  # pragma: no cover - the local, plain values below stand in
    shared = None  # type: ignore[assignment]

T = TypeVar("T")
KINDS = ("cpr", "phone", "email", "account", "iban")
SCREEN = "formål=vejledning; data={data}; kilder={kilder}; hjemmel=intern vejledning; dpia=nej; ansvarlig=Bo"
# Text around the values holds no digits, so a digit run in what a server received is the value's.
TEMPLATES = (
    "Kontakt sagsbehandleren på {v} hvis du har spørgsmål.",
    "Borgerens oplysninger: {v}.",
    "{v}",
    "Ring eller skriv ({v}), så svarer vi hurtigst muligt.",
    "- **{v}**\n- næste punkt",
    "Se [kontakt]({v}) og skriv til os.",
)
EXAMPLES = 40  # per property: each example is a handful of loopback requests (milliseconds)


# -- generated values ---------------------------------------------------------------------------
def _cpr() -> st.SearchStrategy[str]:
    dates = st.dates(min_value=datetime.date(1937, 1, 1), max_value=datetime.date(1999, 12, 31))
    serial = st.integers(0, 3999).map(lambda n: f"{n:04d}")  # 7th digit 0-3: 19xx for any year
    return st.builds(
        lambda d, s, sep: d.strftime("%d%m%y") + sep + s,
        dates,
        serial,
        st.sampled_from(["-", "", " ", "\u2013"]),
    )


def _phone() -> st.SearchStrategy[str]:
    number = st.tuples(st.integers(2, 9), st.integers(0, 9_999_999)).map(lambda t: f"{t[0]}{t[1]:07d}")
    layouts = st.sampled_from(
        [
            lambda n: n,
            lambda n: f"{n[:2]} {n[2:4]} {n[4:6]} {n[6:]}",
            lambda n: f"+45 {n}",
            lambda n: f"{n[:4]} {n[4:]}",
        ]
    )
    value = st.builds(lambda n, layout: layout(n), number, layouts)
    return value.filter(lambda v: not re.fullmatch(r"(19|20)\d\d (19|20)\d\d", v))  # a period, not a phone


def _email() -> st.SearchStrategy[str]:
    word = st.text("abcdefghijklmnopqrstuvwxyzæøå", min_size=2, max_size=10)
    return st.builds(
        lambda a, b, d, tld: f"{a}.{b}@{d}.{tld}",
        word,
        word,
        word,
        st.sampled_from(["dk", "com", "org", "net"]),
    )


def _account() -> st.SearchStrategy[str]:
    return st.builds(
        lambda reg, konto, sep: f"{reg:04d}{sep}{konto:010d}",
        st.integers(1000, 9999),
        st.integers(1_000_000, 9_999_999_999),
        st.sampled_from(["-", " ", " / ", " konto "]),
    )


def _iban() -> st.SearchStrategy[str]:
    def make(bban: int, spaced: bool) -> str:
        body = f"{bban:014d}"
        check = 98 - int("".join(str(int(c, 36)) for c in body + "DK00")) % 97
        iban = f"DK{check:02d}{body}"
        return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4)) if spaced else iban

    return st.builds(make, st.integers(10**12, 10**14 - 1), st.booleans())


_LOCAL = {"cpr": _cpr, "phone": _phone, "email": _email, "account": _account, "iban": _iban}


class Sample(NamedTuple):
    """A text holding one value: as shown in the text, and in its canonical form (for ``leaked``)."""

    kind: str
    text: str
    shown: str
    value: str


@st.composite
def personal_text(draw: st.DrawFn) -> Sample:
    """A value of a generated kind inside a text: the shared generator's disguised cases where it
    exists (separators, line breaks, invisible characters, other digit forms, Markdown around), else
    plain values in our templates."""
    kind = draw(st.sampled_from(KINDS))
    if shared is not None:
        case = draw(shared.disguised_case(kind))
        return Sample(kind, case.text, case.shown, case.value)
    shown = draw(_LOCAL[kind]())
    return Sample(kind, draw(st.sampled_from(TEMPLATES)).format(v=shown), shown, _core(kind, shown))


# -- what reached a server ----------------------------------------------------------------------
def _visible(text: str) -> str:
    """What a reader reads: NFKC, no format (invisible) characters, no whitespace."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf" and not ch.isspace())


def _core(kind: str, written: str) -> str:
    """The canonical form of a value as written."""
    visible = _visible(written)
    if kind == "email":
        return visible.lower()
    if kind == "iban":
        return re.sub(r"[^0-9A-Za-z]", "", visible).upper()
    digits = re.sub(r"\D", "", visible)
    return digits[-8:] if kind == "phone" else digits


def leaked(kind: str, value: str, texts: list[str]) -> bool:
    """Did the canonical ``value`` reach a server in any form a reader would recognise? (The texts
    around generated values hold no digits, so a run of the value's digits is the value.)"""
    if shared is not None:
        return any(shared.leaks(kind, value, text) for text in texts)
    for text in texts:
        visible = _visible(text)
        if kind == "email":
            haystack = visible.lower()
        elif kind == "iban":
            haystack = re.sub(r"[^0-9A-Za-z]", "", visible).upper()
        else:
            haystack = re.sub(r"\D", "", visible)
        if _core(kind, value) in haystack:
            return True
    return False


def everything(server: RecordingModelServer) -> list[str]:
    return [text for texts in server.received().values() for text in texts]


# -- the two servers and the catalogue ------------------------------------------------------------
class Loop:
    """An event loop in a thread, for the recording servers and the router's chat calls."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


class Endpoints:
    def __init__(self, loop: Loop, public: RecordingModelServer, cleared: RecordingModelServer) -> None:
        self.loop, self.public, self.cleared = loop, public, cleared

    def forget(self) -> None:
        self.public.forget()
        self.cleared.forget()


@pytest.fixture(scope="module")
def endpoints() -> Iterator[Endpoints]:
    loop = Loop()
    public = loop.run(RecordingModelServer(reply="Svar fra den offentlige model [1].").start())
    cleared = loop.run(RecordingModelServer(reply="Svar fra den godkendte model [1].").start())
    yield Endpoints(loop, public, cleared)
    loop.run(public.stop())
    loop.run(cleared.stop())
    loop.close()


def catalogue(endpoints: Endpoints) -> dict[str, Any]:
    """Chat, embeddings and rerank: each kind with one endpoint cleared only for ``offentlig`` (the
    default, so it is tried first) and one cleared for ``personfølsom``."""
    public, cleared = endpoints.public.base_url, endpoints.cleared.base_url

    def pair(prefix: str, **extra: Any) -> list[dict[str, Any]]:
        return [
            {
                "id": f"{prefix}-ekstern",
                "base_url": public,
                "model": "m",
                "max_classification": "offentlig",
                **extra,
            },
            {
                "id": f"{prefix}-intern",
                "base_url": cleared,
                "model": "m",
                "max_classification": "personfølsom",
                **extra,
            },
        ]

    return {
        "default": "chat-ekstern",
        "models": pair("chat", max_retries=0),
        "embeddings": {"default": "emb-ekstern", "models": pair("emb")},
        "rerank": {"default": "rr-ekstern", "models": pair("rr")},
    }


@pytest.fixture(scope="module")
def router(endpoints: Endpoints) -> ModelRouter:
    return ModelRouter(ModelCatalogue.model_validate(catalogue(endpoints)))


@pytest.fixture(scope="module")
def blocking_router(endpoints: Endpoints) -> ModelRouter:
    return ModelRouter(ModelCatalogue.model_validate(catalogue(endpoints)), pii_mode="block")


def _every_endpoint(endpoints: Endpoints, router: ModelRouter, classification: str, text: str) -> None:
    """Send ``text`` to every kind of endpoint the router plans for ``classification``: as a passage
    and a query to embed, as a rerank query and document, and in a chat payload."""
    plan = router.plan_turn(classification)
    assert plan.embeddings is not None and plan.rerank is not None and plan.chat.candidates
    for call in (
        lambda: plan.embeddings.embed([text, "Storskrald hentes mandag."], query=False),  # type: ignore[union-attr]
        lambda: plan.embeddings.embed([text], query=True),  # type: ignore[union-attr]
        lambda: plan.rerank.scores(text, ["Storskrald hentes mandag.", text]),  # type: ignore[union-attr]
    ):
        try:
            call()
        except EndpointRefused:
            pass  # block mode: refused, and nothing sent
    messages = [SystemMessage("Svar kort."), HumanMessage(text)]
    endpoints.loop.run(router.generate(classification, messages, plan=plan))


# -- properties of the gate -----------------------------------------------------------------------
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=personal_text())
def test_personal_data_never_reaches_an_uncleared_endpoint_of_any_kind(
    endpoints: Endpoints, router: ModelRouter, sample: Sample
) -> None:
    kind, text, value = sample.kind, sample.text, sample.value
    endpoints.forget()
    _every_endpoint(endpoints, router, "offentlig", text)
    received = endpoints.public.received()
    assert all(received.values()), received  # every kind was asked: the payload went, guarded
    for endpoint_kind, texts in received.items():
        assert not leaked(kind, value, texts), (endpoint_kind, kind, value, texts)
    assert everything(endpoints.cleared) == []  # the route's first cleared endpoint, no other


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=personal_text(), classification=st.sampled_from(["intern", "fortrolig", "personfølsom"]))
def test_a_cleared_endpoint_gets_the_values_intact_and_an_uncleared_one_nothing(
    endpoints: Endpoints, router: ModelRouter, sample: Sample, classification: str
) -> None:
    endpoints.forget()
    _every_endpoint(endpoints, router, classification, sample.text)
    assert everything(endpoints.public) == []  # not cleared for the classification: not one request
    for endpoint_kind, texts in endpoints.cleared.received().items():
        assert any(sample.shown in t for t in texts), (endpoint_kind, sample, texts)  # as written


@settings(
    max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sample=personal_text())
def test_block_mode_refuses_the_request_and_sends_nothing(
    endpoints: Endpoints, blocking_router: ModelRouter, sample: Sample
) -> None:
    endpoints.forget()
    _every_endpoint(endpoints, blocking_router, "offentlig", sample.text)
    assert everything(endpoints.public) == [] and everything(endpoints.cleared) == []


# -- end to end: sources, questions, and `eval retrieval` ----------------------------------------
SOURCE = (
    "# Kontakt\n\nSagsbehandler Jens træffes på telefon {phone} og på {email}.\n\n"
    "## Udbetaling\n\nYdelsen udbetales til konto {account} eller IBAN {iban} hver måned."
)
VALUES = {
    "phone": "87 65 43 21",
    "email": "jens.hansen@aarhus.dk",
    "account": "1234-0012345678",
    "iban": "DK50 0040 0440 1162 43",
}


def _services(endpoints: Endpoints, tmp: Path, **settings: Any) -> Services:
    """A migrated service on SQLite under ``tmp`` whose catalogue is ``catalogue(endpoints)``."""
    from bot.app import build_services
    from bot.config import load_settings
    from bot.store import migrate

    models = tmp / "models.yaml"
    models.write_text(yaml.safe_dump(catalogue(endpoints), allow_unicode=True), encoding="utf-8")
    services = build_services(
        load_settings(
            data_dir=tmp / "data",
            index_dir=tmp / "indexes",
            database_url=f"sqlite:///{tmp / 'egress.db'}",
            admins="adm",
            models_file=models,
            **settings,
        )
    )
    migrate.upgrade(services.db)
    return services


@pytest.fixture(scope="module")
def municipality(
    endpoints: Endpoints, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Services, dict[str, Any]]]:
    """Built once for the module: two specialists with the same source holding personal data, one
    ``offentlig`` and one ``personfølsom``; what their ingestion sent, by server."""
    services = _services(endpoints, tmp_path_factory.mktemp("egress"))
    app, who = services.app, Actor("adm")
    endpoints.forget()
    for slug, data, kilder in (("borger", "ingen", "offentlige"), ("sager", "følsomme", "interne")):
        app.specialists.create(who, slug.capitalize(), slug=slug)
        app.publishing.screen(who, SCREEN.format(data=data, kilder=kilder), slug)
        spec = app.specialists.lookup(who, slug)
        outcome = endpoints.loop.run(
            app.sources.add(who, spec, f"{slug}.md", SOURCE.format(**VALUES).encode())
        )
        assert type(outcome).__name__ == "Added", outcome
    ingested = {"public": endpoints.public.received(), "cleared": endpoints.cleared.received()}
    yield services, ingested
    services.close()


def test_sources_reach_only_cleared_embedding_endpoints_intact_and_others_redacted(
    municipality: tuple[Services, dict[str, Any]],
) -> None:
    services, ingested = municipality
    assert [s.classification for s in map(services.stores.specialists.require, ("borger", "sager"))] == [
        "offentlig",
        "personfølsom",
    ]
    public, cleared = ingested["public"]["embeddings"], ingested["cleared"]["embeddings"]
    assert any("Sagsbehandler Jens" in t for t in public)  # the offentlig specialist's passages went...
    for kind, value in VALUES.items():
        assert not leaked(kind, _core(kind, value), public), (kind, public)  # ...with placeholders
        assert any(value in t for t in cleared), (kind, cleared)  # the personfølsom one's, intact
    assert any("⟦TLF-1⟧" in t for t in public) and any("⟦EMAIL-1⟧" in t for t in public)


async def test_a_question_through_the_answering_path_is_guarded_at_every_endpoint(
    endpoints: Endpoints, municipality: tuple[Services, dict[str, Any]]
) -> None:
    services, _ = municipality
    question = "Hvornår udbetales ydelsen? Mit nummer er 23 45 67 89 og min konto er 9876-0001234567."
    asked = [("phone", "23 45 67 89"), ("account", "9876-0001234567"), *VALUES.items()]
    for slug, uncleared, cleared in (
        ("borger", None, endpoints.public),
        ("sager", endpoints.public, endpoints.cleared),
    ):
        endpoints.forget()
        spec = services.stores.specialists.require(slug)
        answer = await services.app.answering.answer(
            Question(Actor("adm"), spec, question, history=(), record=False)
        )
        assert answer.outcome == "answered", answer
        got = cleared.received()
        assert got["chat"] and got["embeddings"] and got["rerank"], got  # every kind took part
        if uncleared is None:  # offentlig: the public endpoints answered, with placeholders only
            for kind, value in asked:
                assert not leaked(kind, _core(kind, value), everything(cleared)), (kind, value)
        else:  # personfølsom: the public endpoints got nothing; the cleared chat model the values
            assert everything(uncleared) == []
            chat = "\n".join(got["chat"])
            assert VALUES["iban"] in chat and "23 45 67 89" in chat  # the passage's and the question's


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sample=personal_text())
def test_eval_retrieval_questions_are_guarded_like_every_other_request(
    endpoints: Endpoints, municipality: tuple[Services, dict[str, Any]], sample: Sample
) -> None:
    """``aarhusai eval retrieval`` sends its case questions to the embeddings and rerank endpoints
    through the same gate (ingested once; the questions are generated)."""
    services, _ = municipality
    cases = [Case(f"Hvornår udbetales ydelsen? {sample.text}", ("udbetales",))]
    endpoints.forget()
    report = endpoints.loop.run(services.app.evaluation.retrieval(Actor("adm"), "borger", cases))
    assert report.reranker == "rr-ekstern:m"
    got = endpoints.public.received()
    assert got["embeddings"] and got["rerank"], got
    assert not leaked(sample.kind, sample.value, everything(endpoints.public)), sample
    endpoints.forget()
    endpoints.loop.run(services.app.evaluation.retrieval(Actor("adm"), "sager", cases))
    assert everything(endpoints.public) == []
    assert any(sample.shown in t for t in endpoints.cleared.received()["rerank"])


@pytest.mark.parametrize("kind", ["chat", "embeddings", "rerank"])
def test_one_chooser_decides_for_every_endpoint_kind(endpoints: Endpoints, kind: str) -> None:
    """``ModelCatalogue.choose``: cleared endpoints only, the default first; a requested endpoint that
    is not cleared is refused by name (and never a candidate); ``only`` allows no stand-in."""
    cat = ModelCatalogue.model_validate(catalogue(endpoints))
    prefix = {"chat": "chat", "embeddings": "emb", "rerank": "rr"}[kind]
    ids = lambda c: [e.id for e in c.endpoints]  # noqa: E731
    assert ids(cat.choose(kind, "offentlig")) == [f"{prefix}-ekstern", f"{prefix}-intern"]
    assert ids(cat.choose(kind, "intern")) == [f"{prefix}-intern"]
    asked = cat.choose(kind, "personfølsom", requested=f"{prefix}-ekstern")
    assert ids(asked) == [f"{prefix}-intern"] and asked.refused == (f"{prefix}-ekstern",)
    assert ids(cat.choose(kind, "fortrolig", requested=f"{prefix}-ekstern", only=True)) == []
    plan = ModelRouter(cat).plan_turn("intern")
    chosen = {"chat": plan.chat.candidates[0].id, "embeddings": plan.embeddings, "rerank": plan.rerank}[kind]
    assert (chosen if isinstance(chosen, str) else chosen.spec.id) == f"{prefix}-intern"  # type: ignore[union-attr]


def test_block_mode_refuses_a_source_in_danish_and_sends_and_stores_nothing(
    endpoints: Endpoints, tmp_path: Path
) -> None:
    """A source for an ``offentlig`` specialist whose only embeddings endpoint is uncleared for personal
    data: block mode refuses the file with a message naming it and what was found, never a crash."""
    services = _services(endpoints, tmp_path, pii_mode="block")
    try:
        app, who = services.app, Actor("adm")
        app.specialists.create(who, "Borger", slug="borger")
        app.publishing.screen(who, SCREEN.format(data="ingen", kilder="offentlige"), "borger")
        spec = app.specialists.lookup(who, "borger")
        endpoints.forget()
        outcome = endpoints.loop.run(
            app.sources.add(who, spec, "kontakt.md", SOURCE.format(**VALUES).encode())
        )
        assert type(outcome).__name__ == "Refused", outcome
        message = outcome.error.message("da")
        assert "kontakt.md" in message and "ikke godkendt" in message and "telefonnummer" in message
        sent = endpoints.public.received()["embeddings"]
        assert sent in ([], ["dimension"]), sent  # at most the embedder's probe of its dimension
        assert services.stores.specialists.sources(spec.id) == []  # type: ignore[arg-type]
    finally:
        services.close()
