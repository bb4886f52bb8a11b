"""Finding 7: file names. ``..``, ``.`` and blank names are made safe and never silently replace
another source; long names keep their extension; ``skills export`` writes safe names, atomically."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import Services
from bot.domain import safe_filename, unique_filename
from bot.services import Actor
from bot.skills import export_skill

BUILDER = "bld"


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("..", "uden-navn"),
        (".", "uden-navn"),
        ("", "uden-navn"),
        ("   ", "uden-navn"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        (".md", "uden-navn.md"),
        ("...md", "uden-navn.md"),
        ("regler.md", "regler.md"),
        ("a/b/regler.md", "regler.md"),
        ("con:txt?.md", "con_txt_.md"),
        ("null\x00byte.md", "null_byte.md"),
        ("navn med mellemrum .md ", "navn med mellemrum.md"),
    ],
)
def test_safe_filename(sent: str, stored: str) -> None:
    assert safe_filename(sent)[0] == stored


def test_a_long_name_keeps_its_extension() -> None:
    name, altered = safe_filename("x" * 400 + ".pdf")
    assert altered and len(name) <= 200 and name.endswith(".pdf")


def test_unique_filename() -> None:
    assert unique_filename("uden-navn", {"uden-navn"}) == "uden-navn-2"
    assert unique_filename("a.md", {"A.md", "a-2.md"}) == "a-3.md"
    assert unique_filename("b.md", {"a.md"}) == "b.md"


async def test_made_up_names_never_replace_a_source_and_export_works(
    make_services: Callable[..., Services], tmp_path: Path
) -> None:
    services = make_services(admins=BUILDER)
    app, builder = services.app, Actor(BUILDER)
    spec = app.specialists.create(builder, "Regler")
    for name, text in (
        (".", "Første tekst om licenser."),
        ("", "Anden tekst om parkering."),
        ("..", "Tredje."),
    ):
        outcome = await app.sources.add(builder, spec, name, f"# T\n\n{text}".encode())
        assert type(outcome).__name__ == "Added", outcome
    long = "langt-navn-" + "x" * 390 + ".md"
    await app.sources.add(builder, spec, long, b"# L\n\nEn fil med et langt navn.")
    _spec, sources = app.sources.list(builder, spec.slug)
    names = sorted(s.name for s in sources)
    assert [n for n in names if n.startswith("uden-navn")] == ["uden-navn", "uden-navn-2", "uden-navn-3"]
    [kept] = [n for n in names if n.startswith("langt-navn")]
    assert kept.endswith(".md") and len(kept) <= 200
    # sending the same real name again is still a deliberate replacement
    again = await app.sources.add(builder, spec, "regler.md", b"# A\n\nTekst.")
    replaced = await app.sources.add(builder, spec, "regler.md", b"# B\n\nNy tekst.")
    assert not again.result.replaced and replaced.result.replaced  # type: ignore[union-attr]

    out = export_skill(builder, spec.slug, tmp_path / "ud", app)
    exported = sorted(p.name for p in (out / "kilder").iterdir())
    assert exported == sorted([*names, "regler.md"])
    assert all((out / "kilder" / n).is_file() for n in exported)


async def test_export_is_atomic(make_services: Callable[..., Services], tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    services = make_services(admins=BUILDER)
    app, builder = services.app, Actor(BUILDER)
    spec = app.specialists.create(builder, "Regler")
    await app.sources.add(builder, spec, "a.md", b"# A\n\nLicenser.")
    first = export_skill(builder, spec.slug, tmp_path, app)
    before = (first / "skill.yaml").read_text(encoding="utf-8")
    app.specialists.set_prompt(builder, "En helt ny prompt.", spec.slug)

    real_replace = os.replace
    crashed: list[str] = []

    def crash(src, dst):  # type: ignore[no-untyped-def]  # the new export fails to land, once
        if not crashed and str(dst).endswith(spec.slug) and ".old." not in str(dst):
            crashed.append(str(src))
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        export_skill(builder, spec.slug, tmp_path, app)
    monkeypatch.setattr(os, "replace", real_replace)
    assert crashed
    assert (first / "skill.yaml").read_text(encoding="utf-8") == before
    assert [p.name for p in os.scandir(tmp_path) if p.name.startswith(".")] == []  # no staging left
