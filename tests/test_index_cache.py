"""Loaded indexes are cached per process within ``AARHUSAI_INDEX_CACHE_MB``: the least recently used
go first and load again from disk when asked, with the same answers."""

from __future__ import annotations

from collections.abc import Callable

from bot.app import Services

TOPICS = {
    "pas": "# Pas\n\nEt pas til en voksen koster 688 kr. og gælder i 10 år.",
    "affald": "# Affald\n\nStorskrald hentes hver anden tirsdag, når det er bestilt.",
    "parkering": "# Parkering\n\nEn beboerlicens til parkering koster 240 kr. om året.",
}
QUESTIONS = {
    "pas": "Hvad koster et pas?",
    "affald": "Hvornår hentes storskrald?",
    "parkering": "beboerlicens pris",
}


async def test_the_least_recently_used_index_leaves_the_cache_and_comes_back(
    make_services: Callable[..., Services],
) -> None:
    services = make_services()
    retriever = services.stores.retriever
    specs = {}
    for slug, text in TOPICS.items():
        spec = services.stores.specialists.create(slug.title(), "adm", slug=slug)
        await services.stores.ingestor.ingest(spec, f"{slug}.md", text.encode(), "adm")
        specs[slug] = services.stores.specialists.by_id(spec.id)
    first = {slug: retriever.search(specs[slug], QUESTIONS[slug], 1)[0].text for slug in TOPICS}
    sizes = {slug: retriever.index_for(specs[slug]).memory_bytes for slug in TOPICS}  # type: ignore[union-attr]
    assert all(size > 0 for size in sizes.values())

    retriever.cache_bytes = sum(sizes.values()) - min(sizes.values())  # room for any two of the three
    for slug in ("pas", "affald", "parkering"):
        retriever.search(specs[slug], QUESTIONS[slug], 1)
    assert retriever.cached == ["affald", "parkering"]  # "pas" was least recently used
    retriever.search(specs["affald"], QUESTIONS["affald"], 1)
    assert retriever.search(specs["pas"], QUESTIONS["pas"], 1)[0].text == first["pas"]  # loaded again
    assert retriever.cached == ["affald", "pas"]

    retriever.cache_bytes = 1  # smaller than any index: the one in use still stays
    assert retriever.search(specs["parkering"], QUESTIONS["parkering"], 1)[0].text == first["parkering"]
    assert retriever.cached == ["parkering"]
