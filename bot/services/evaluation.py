"""Evaluation as a service: answer quality (test cases run on several models side by side, the same
answering path as Teams) and retrieval (the specialist's own index, with and without its reranker,
and the same sources embedded by other local embedders side by side in one run).

An answer-quality run sends a specialist's questions and passages only to models cleared for its data:
a named model that is not is refused before anything is sent, and ``llm-rubric`` is graded by a judge
that is itself cleared (through the router), or skipped with a note. Nothing of a run is stored as
conversation history; the run is audited with its pass rates.

A comparison copies the specialist's stored source files into a throwaway SQLite database and index
folder (deleted afterwards) and ingests them with the other embedder exactly as ingestion does. Only
local embedders (bundled or by path) are accepted, so a comparison sends nothing out of the process;
the gate's thresholds are the configured ones for every embedder (they are calibrated for the default).
"""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import Any

from langchain_core.messages import HumanMessage, SystemMessage

from bot.domain import AppError, AuditAction, Outcome, Permission
from bot.evals.assertions import Judge, Observed, check_all, language_of
from bot.evals.cases import Assertion, CaseFile, CaseFileError, EvalCase, assertion_from, validated
from bot.evals.report import model_summary
from bot.llm.output import LinkPolicy, sanitise
from bot.llm.router import GenerationOutcome
from bot.rag.embeddings import E5_SMALL, MINILM, Embedder, shared_embedder
from bot.rag.evaluation import Case, Scores, evaluate
from bot.rag.index import IndexStore
from bot.rag.ingest import Ingestor
from bot.rag.retrieval import Retriever
from bot.services.actor import Actor
from bot.services.answering import AnsweringService, Question
from bot.services.base import NO_MODEL, Service, Stores, offloop
from bot.services.content import ContentGuard
from bot.specialists import SpecialistStore
from bot.specialists.cases import MAX_CASES
from bot.store import Database, migrate
from bot.store.models import Specialist, SpecialistCase

MODES = ("dense", "lexical", "hybrid")
JUDGE_PROMPT = (
    "Du bedømmer svar fra en kommunal chatbot. Du får et spørgsmål, et svar og et kriterium. "
    'Svar kun med JSON på én linje: {"pass": true eller false, "reason": "kort begrundelse på dansk"}.'
)
MAX_CONCURRENCY = 16
MAX_QUESTION_CHARS = 2000
SNIPPET_CHARS = 160  # of each passage in a run's results, as in a Teams citation's abstract
SHOWN_PASSAGES = 3  # per failing case in /test kør


def _local_embedder(name: str) -> bool:
    """A bundled model or a folder on disk: nothing to download, nothing sent out."""
    return name in (E5_SMALL, MINILM) or Path(name).is_dir()


@dataclass(frozen=True)
class Passage:
    """A passage a failing case's answer was given, made safe to show: where it is, and how it begins."""

    source: str
    page: int | None
    heading: str | None
    snippet: str


@dataclass(frozen=True)
class Failure:
    number: int
    question: str
    answer: str
    failed: list[dict[str, Any]]  # the assertions that failed: type, value, detail, seen
    outcome: str = ""
    passages: tuple[Passage, ...] = ()  # what retrieval found for it (none: the gate found nothing)


@dataclass(frozen=True)
class CaseReport:
    spec: Specialist
    model: str
    passed: int
    total: int
    failures: list[Failure]


def _assertion_json(assertion: Assertion) -> dict[str, Any]:
    return assertion.as_json()


@dataclass
class RetrievalReport:
    specialist: str
    reranker: str | None
    # embedder id -> scores per mode; the specialist's own embedder first
    embedders: dict[str, list[Scores]] = field(default_factory=dict)


class EvaluationService(Service):
    def __init__(self, stores: Stores, answering: AnsweringService) -> None:
        super().__init__(stores)
        self.answering = answering
        self.content = ContentGuard(stores)

    # -- a specialist's own test cases (/test in Teams, tests.yaml in skills) ----------------------
    def cases(self, actor: Actor, ref: str | None = None) -> tuple[Specialist, list[SpecialistCase]]:
        spec = self.target(actor, ref)
        return spec, self.stores.cases.list(spec.id)  # type: ignore[arg-type]

    def add_case(
        self,
        actor: Actor,
        question: str,
        expect: str | Sequence[Assertion] | None,
        ref: str | None = None,
    ) -> tuple[Specialist, int]:
        """``expect``: the case's assertions (``/test tilføj``, ``bot.evals.phrases``); a text: the answer
        must contain it; None: the specialist must refuse. Returns the case's number in ``/test vis``."""
        spec = self.target(actor, ref)
        question = " ".join(question.split())
        if expect is None:
            asserts: list[Assertion] = [Assertion("refuses")]
        elif isinstance(expect, str):
            asserts = [Assertion("icontains", " ".join(expect.split()))]
        else:
            asserts = list(expect)
        if not question or not asserts:
            raise AppError(Outcome.INVALID, "test_usage")
        try:  # every door's assertions meet the case files' rules (types, values, languages)
            asserts = list(validated([_assertion_json(a) for a in asserts]))
        except CaseFileError:
            raise AppError(Outcome.INVALID, "test_usage") from None
        values = [a.value for a in asserts if isinstance(a.value, str)]
        if len(question) > MAX_QUESTION_CHARS or any(len(v) > MAX_QUESTION_CHARS for v in values):
            raise AppError(Outcome.INVALID, "question_too_long", limit=MAX_QUESTION_CHARS)
        existing = self.stores.cases.list(spec.id)  # type: ignore[arg-type]
        if len(existing) >= MAX_CASES:
            raise AppError(Outcome.INVALID, "test_too_many", limit=MAX_CASES)
        self._check_cited(spec, [a.value for a in asserts if a.type == "cites"])
        # a test question is content the specialist holds: checked before it is stored or audited
        self.content.check_fields(actor, spec, {"questions": [question, *values]}, "test")
        stored = [_assertion_json(a) for a in asserts]
        self.stores.cases.add(spec.id, question, stored, actor.id)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.TEST_ADDED, spec.slug, question=question[:200], asserts=stored)
        return spec, len(existing) + 1

    def _check_cited(self, spec: Specialist, names: list[str]) -> None:
        """A case that must cite a file the specialist does not hold could never pass: most likely a
        typo, so it is refused with the names it holds."""
        if not names:
            return
        held = [s.name for s in self.stores.specialists.sources(spec.id)]  # type: ignore[arg-type]
        known = {n.casefold() for n in held} | {PurePath(n).name.casefold() for n in held}
        for name in names:
            if name.casefold() not in known:
                raise AppError(
                    Outcome.INVALID,
                    "test_cites_unknown",
                    file=name,
                    name=spec.name,
                    files=", ".join(held) or "–",
                )

    def remove_case(self, actor: Actor, number: int, ref: str | None = None) -> tuple[Specialist, str]:
        spec = self.target(actor, ref)
        rows = self.stores.cases.list(spec.id)  # type: ignore[arg-type]
        if not 1 <= number <= len(rows):
            raise AppError(Outcome.NOT_FOUND, "test_unknown", number=number, count=len(rows))
        case = rows[number - 1]
        self.stores.cases.remove(case.id)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.TEST_REMOVED, spec.slug, question=case.question[:200])
        return spec, case.question

    def replace_cases(self, actor: Actor, case_file: CaseFile, ref: str, **audit: object) -> int:
        """The specialist's cases become those of ``case_file`` (skills sync); unchanged: nothing."""
        spec = self.target(actor, ref)
        wanted = [(c.question, [_assertion_json(a) for a in c.asserts]) for c in case_file.cases]
        current = [(c.question, json.loads(c.asserts)) for c in self.stores.cases.list(spec.id)]  # type: ignore[arg-type]
        if wanted == current:
            return 0
        self.stores.cases.replace_all(spec.id, wanted, actor.id)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.TEST_SYNCED, spec.slug, cases=len(wanted), **audit)
        return len(wanted)

    def case_file(self, spec: Specialist) -> CaseFile:
        rows = self.stores.cases.list(spec.id)  # type: ignore[arg-type]
        return CaseFile(
            f"{spec.name}: testcases",
            tuple(
                EvalCase(
                    row.question,
                    tuple(assertion_from(a, n) for a in json.loads(row.asserts)),
                    n,
                )
                for n, row in enumerate(rows, start=1)
            ),
        )

    async def run_own(self, actor: Actor, ref: str | None = None) -> CaseReport:
        """``/test kør``: the specialist's cases on its own model; the run is recorded, and publishing
        asks for a passing run of exactly these cases, prompt, sources and model."""
        spec = await asyncio.to_thread(self.target, actor, ref)
        case_file = await asyncio.to_thread(self.case_file, spec)
        if not case_file.cases:
            raise AppError(Outcome.PRECONDITION, "test_none", name=spec.name)
        model = await asyncio.to_thread(self.case_model, spec)
        if model == NO_MODEL:  # passages are not an answer: a run without a model tests nothing
            raise AppError(Outcome.PRECONDITION, "test_not_testable", name=spec.name)
        # what is tested is fixed before the run: a case or prompt changed meanwhile makes it stale
        tested = await asyncio.to_thread(self.stores.cases.fingerprint, spec, model)
        results = await self.run(actor, spec.slug, case_file, (model,))
        rows = [c["results"][model] for c in results["cases"]]
        passed = sum(1 for r in rows if r["passed"])
        await asyncio.to_thread(
            self.stores.cases.record_run, spec, tested, model, passed, len(rows), actor.id
        )
        policy = LinkPolicy(self.settings.link_hosts)
        failures = [
            Failure(
                n,
                c["question"],
                r["answer"],
                [_shown(a, policy, actor.locale) for a in r["assertions"] if a["passed"] is False],
                r["outcome"],
                tuple(_passage(p, policy, actor.locale) for p in r["citations"][:SHOWN_PASSAGES]),
            )
            for n, (c, r) in enumerate(zip(results["cases"], rows, strict=True), start=1)
            if not r["passed"]
        ]
        return CaseReport(spec, model, passed, len(rows), failures)

    # -- the model catalogue with evidence -------------------------------------------------------
    async def catalogue(
        self,
        actor: Actor,
        ref: str,
        case_file: CaseFile,
        concurrency: int = 4,
        progress: Callable[[int, int], None] | None = None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The shared benchmark (``evals/benchmark``) on every catalogue model cleared for it: the full
        results and the catalogue summary (per model: clearance, pass rate, Danish share, verbosity,
        latency, date), which is stored for ``/modeller``. Administrators only."""
        await asyncio.to_thread(self.require, actor, Permission.ADMIN)
        results = await self.run(actor, ref, case_file, (), None, concurrency, progress)
        router = self.stores.router
        models: dict[str, Any] = {}
        for model, summary in results["models"].items():
            answers = [c["results"][model]["answer"] for c in results["cases"]]
            spec = router.catalogue.get(model)
            models[model] = {
                "max_classification": str(spec.max_classification) if spec else None,
                "served_model": spec.model if spec else None,
                "danish_share": round(sum(language_of(a) == "da" for a in answers) / len(answers), 4),
                **summary,
            }
        catalogue = {
            "date": results["started"],
            "benchmark": case_file.description,
            "cases": len(case_file.cases),
            "models": models,
        }
        await asyncio.to_thread(self.stores.cases.record_catalogue, catalogue, actor.id)
        await asyncio.to_thread(
            self.audit, actor, AuditAction.CATALOGUE_RUN, ref, models=list(models), cases=len(case_file.cases)
        )
        return results, catalogue

    def latest_catalogue(self, actor: Actor) -> dict[str, Any] | None:
        """``/modeller``: the last catalogue run, for Builders choosing a model."""
        self.require(actor, Permission.BUILD)
        row = self.stores.cases.latest_catalogue()
        return json.loads(row.summary) if row else None

    # -- answer quality (EvalOps) -----------------------------------------------------------------
    async def run(
        self,
        actor: Actor,
        ref: str,
        case_file: CaseFile,
        models: tuple[str, ...] = (),
        judge: str | None = None,
        concurrency: int = 4,
        progress: Callable[[int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Every case through the same answering path as Teams, once per model, ``concurrency`` at a
        time; the ``results.json`` structure (``bot.evals.report``). Models default to every catalogue
        model cleared for the specialist's data; a named model that is not cleared is refused before
        anything is sent. Nothing is stored as conversation history; the run is audited."""
        spec = await asyncio.to_thread(self.target, actor, ref)
        classification = spec.classification
        router = self.stores.router
        cleared = router.cleared_ids(classification)
        models = models or tuple(cleared) or (NO_MODEL,)
        for model in (*models, *([judge] if judge else [])):  # a named judge sees the data too
            if model == NO_MODEL and not cleared:
                continue  # no cleared model: the specialist's own route (cited passages or a refusal)
            known = router.is_cleared(model, classification)
            if known is None:
                raise AppError(Outcome.NOT_FOUND, "eval_model_unknown", model=model)
            if not known:
                raise AppError(
                    Outcome.FORBIDDEN,
                    "eval_model_not_cleared",
                    model=model,
                    classification=classification,
                    name=spec.name,
                )
        judge = judge or (cleared[0] if cleared else None)
        grader = self._grader(spec, judge) if judge else None
        no_judge = f"sprunget over: ingen dommermodel er godkendt til {classification} data"
        started = datetime.now(UTC).isoformat(timespec="seconds")
        limit = asyncio.Semaphore(max(1, min(concurrency, MAX_CONCURRENCY)))
        total, done = len(case_file.cases) * len(models), 0
        quiet = Actor(f"eval:{actor.id}", actor.kind, locale=actor.locale)

        async def one(case: EvalCase, model: str) -> dict[str, Any]:
            nonlocal done
            async with limit:
                began = time.perf_counter()
                question = Question(
                    quiet,
                    spec,
                    case.question,
                    history=(),
                    record=False,
                    model=None if model == NO_MODEL else model,
                )
                answer = await self.answering.answer(question)
                latency = (time.perf_counter() - began) * 1000
                seen = Observed(
                    case.question, answer.text, answer.outcome, tuple(answer.citations), latency, answer.model
                )
                checked = await check_all(case.asserts, seen, grader, no_judge)
            done += 1
            if progress is not None:
                progress(done, total)
            return {
                "passed": checked.passed,
                "answer": answer.text,
                "outcome": answer.outcome,
                "model": answer.model,
                "latency_ms": round(latency, 1),
                "citations": [
                    {
                        "n": c.n,
                        "source": c.source,
                        "page": c.page,
                        "heading": c.heading,
                        "snippet": _snippet(c.text),
                    }
                    for c in answer.citations
                ],
                "assertions": [
                    {
                        "type": c.type,
                        "value": a.value,
                        "passed": c.passed,
                        "detail": c.detail,
                        "line": c.line,
                        "seen": c.seen,
                    }
                    for a, c in zip(case.asserts, checked.checks, strict=True)
                ],
            }

        jobs = [[one(case, model) for model in models] for case in case_file.cases]
        answers = await asyncio.gather(*(job for row in jobs for job in row))
        by_case = [answers[i * len(models) : (i + 1) * len(models)] for i in range(len(case_file.cases))]
        cases = [
            {"question": case.question, "line": case.line, "results": dict(zip(models, row, strict=True))}
            for case, row in zip(case_file.cases, by_case, strict=True)
        ]
        summary = {m: model_summary([c["results"][m] for c in cases]) for m in models}
        await asyncio.to_thread(
            self.audit,
            actor,
            AuditAction.EVAL_RUN,
            spec.slug,
            models=list(models),
            cases=len(cases),
            pass_rates={m: s["pass_rate"] for m, s in summary.items()},
        )
        return {
            "specialist": spec.slug,
            "description": case_file.description,
            "started": started,
            "classification": classification,
            "judge": judge,
            "models": summary,
            "cases": cases,
        }

    def _grader(self, spec: Specialist, model: str) -> Judge:
        """The grader of ``llm-rubric``: ``model`` (checked as cleared for the specialist's data before
        the run), called through the router like every model call."""
        router = self.stores.router

        async def grade(question: str, answer: str, rubric: str) -> tuple[bool, str]:
            messages = [
                SystemMessage(JUDGE_PROMPT),
                HumanMessage(f"Spørgsmål: {question}\n\nSvar: {answer}\n\nKriterium: {rubric}"),
            ]
            generation = await router.generate(
                spec.classification, messages, requested=model, only=True, user_texts=(question,)
            )
            if generation.outcome != GenerationOutcome.ANSWERED:
                return False, f"dommeren ({model}) svarede ikke: {generation.outcome}"
            return parse_verdict(generation.raw, model)

        return grade

    async def retrieval(
        self, actor: Actor, ref: str, cases: list[Case], compare: tuple[str, ...] = ()
    ) -> RetrievalReport:
        """hit@1, hit@5, MRR and the gate per mode on ``ref``'s index (plus ``hybrid+rerank`` when a
        reranker is cleared for it), then for each embedder named in ``compare``."""
        spec = await asyncio.to_thread(self.target, actor, ref)  # edit rights: it reads every source
        unknown = await asyncio.to_thread(lambda: [n for n in compare if not _local_embedder(n)])
        if unknown:
            raise AppError(Outcome.INVALID, "embedder_unknown", name=unknown[0])
        own = await asyncio.to_thread(self._scores, self.answering, spec, cases)
        reranker = self.answering.reranker_id(spec)
        if reranker is not None:
            own.append(await asyncio.to_thread(evaluate, self.answering, spec, cases, "hybrid", 5, True))
        report = RetrievalReport(spec.slug, reranker)
        report.embedders[self.stores.retriever.embedder_for(spec).id] = own
        for name in compare:
            s = self.settings
            embedder = shared_embedder(
                name, s.embedding_query_prefix, s.embedding_passage_prefix, s.embedding_threads
            )
            if embedder.id not in report.embedders:
                report.embedders[embedder.id] = await self._with_embedder(spec, embedder, cases)
        return report

    @staticmethod
    def _scores(searcher: AnsweringService | Retriever, spec: Specialist, cases: list[Case]) -> list[Scores]:
        return [evaluate(searcher, spec, cases, mode) for mode in MODES]

    async def _with_embedder(self, spec: Specialist, embedder: Embedder, cases: list[Case]) -> list[Scores]:
        store = self.stores.specialists
        sources = await asyncio.to_thread(store.sources, spec.id)  # type: ignore[arg-type]
        kinds = {s.name: s.kind for s in sources}
        files = await asyncio.to_thread(store.source_files, spec.id)  # type: ignore[arg-type]
        with tempfile.TemporaryDirectory(prefix="aarhusai-eval-") as tmp:
            db = Database(f"sqlite:///{Path(tmp) / 'eval.db'}")
            try:
                await asyncio.to_thread(migrate.upgrade, db)
                live = self.stores.retriever
                retriever = Retriever(
                    db,
                    IndexStore(Path(tmp) / "indexes"),
                    embedder,
                    min_dense_score=live.min_dense_score,
                    min_lexical_coverage=live.min_lexical_coverage,
                    dense_weight=live.dense_weight,
                    min_cross_dense_score=live.min_cross_dense_score,
                    min_cross_dense_margin=live.min_cross_dense_margin,
                )
                copies = SpecialistStore(db)
                copy = await asyncio.to_thread(
                    lambda: copies.create(
                        spec.name,
                        "eval",
                        slug=spec.slug,
                        settings={"chunk_size": spec.chunk_size, "chunk_overlap": spec.chunk_overlap},
                    )
                )
                ingestor = Ingestor(
                    db, embedder, retriever, self.settings.max_upload_bytes, self.settings.extract_timeout_s
                )
                for name, data in files:
                    await ingestor.ingest(copy, name, data, "eval", rebuild_index=False, kind=kinds.get(name))
                copy = await asyncio.to_thread(copies.require, spec.slug)
                await asyncio.to_thread(retriever.rebuild, copy)
                return await asyncio.to_thread(self._scores, retriever, copy, cases)
            finally:
                db.dispose()

    # the awaitable faces the doors use: each runs its blocking twin in a worker thread
    acases = offloop(cases)
    aadd_case = offloop(add_case)
    aremove_case = offloop(remove_case)
    alatest_catalogue = offloop(latest_catalogue)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"


def _shown(assertion: dict[str, Any], policy: LinkPolicy, locale: str) -> dict[str, Any]:
    """A failed assertion of a run as a Builder sees it: the files it cited and a judge's reason are
    content and model text, made safe like an answer."""
    seen = assertion.get("seen")
    if isinstance(seen, list):
        seen = [sanitise(str(s), policy, locale) for s in seen]
    detail = sanitise(str(assertion.get("detail") or ""), policy, locale)
    return {**assertion, "seen": seen, "detail": detail}


def _passage(citation: dict[str, Any], policy: LinkPolicy, locale: str) -> Passage:
    """A cited passage of a run as a Builder sees it: source text is content, made safe like an answer."""
    heading = citation.get("heading")
    return Passage(
        sanitise(str(citation["source"]), policy, locale),
        citation.get("page"),
        sanitise(str(heading), policy, locale) if heading else None,
        sanitise(str(citation.get("snippet") or ""), policy, locale),
    )


def parse_verdict(raw: str, model: str) -> tuple[bool, str]:
    """The judge's JSON verdict; anything else fails the assertion (a judge that cannot say pass did
    not say it)."""
    match = re.search(r"\{.*\}", raw, flags=re.S)
    try:
        verdict = json.loads(match.group(0)) if match else None
    except json.JSONDecodeError:
        verdict = None
    if not isinstance(verdict, dict) or not isinstance(verdict.get("pass"), bool):
        return False, f"dommeren ({model}) gav ikke en dom: {raw[:120]!r}"
    return verdict["pass"], f"{model}: {str(verdict.get('reason', ''))[:300]}"
