"""Sources that stay current: the first sync of a 1,000-page intranet (loopback), then a re-sync with 1 %
of the pages changed, in one run.

Targets: the re-sync makes <= 5 % of the first sync's full downloads and takes <= 10 % of its time;
peak memory bounded (printed). The intranet honours ETags (304); the crawler's delay is 0 on loopback
(the default 0.25 s per request would dominate both timings) and its concurrency the default 2.
"""

from __future__ import annotations

import asyncio
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import corpus_sentences, services
from bot.services import Actor
from tests.support.intranet import HTML, Intranet, page


def _text(rng: random.Random, sentences: list[str]) -> str:
    out: list[str] = []
    while sum(len(s) for s in out) < 500:
        out.append(rng.choice(sentences))
    return " ".join(out)


async def main(pages: int = 1000, changed_share: float = 0.01) -> None:
    rng = random.Random(24)
    sentences = corpus_sentences()
    site = await Intranet().start()
    paths = [f"/vejledninger/side-{i:04d}" for i in range(pages)]
    site.robots = f"User-agent: *\nSitemap: {site.url('/sitemap.xml')}\n"
    site.pages["/sitemap.xml"] = (
        "application/xml",
        (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in paths)
            + "</urlset>"
        ).encode(),
    )
    site.pages["/vejledninger/"] = (HTML, page("Vejledninger", "Alle vejledninger.", paths[:50]))
    for i, path in enumerate(paths):
        site.pages[path] = (HTML, page(f"Vejledning {i}", f"Vejledning nummer {i}. " + _text(rng, sentences)))

    svc = services(crawl_hosts=site.origin, crawl_delay_s=0.0)
    actor = Actor.cli("bench")
    app = svc.app
    app.specialists.create(actor, "Bench intranet", slug="bench-intranet")
    app.connections.connect(actor, "bench-intranet", "web", site.url("/vejledninger/"), max_pages=pages + 10)
    svc.stores.retriever.embedder.encode_passages(["opvarmning"])  # load the model outside the timings

    started = time.perf_counter()
    [first] = await app.connections.sync(actor, "bench-intranet")
    first_s = time.perf_counter() - started
    first_downloads = len(site.downloads())
    assert first.error is None and first.added == pages + 1, (first.error, first.counts)

    for path in rng.sample(paths, round(pages * changed_share)):
        site.pages[path] = (HTML, page("Ændret", "Ændret vejledning. " + _text(rng, sentences)))
    site.log.clear()
    started = time.perf_counter()
    [again] = await app.connections.sync(actor, "bench-intranet")
    again_s = time.perf_counter() - started
    again_downloads = len(site.downloads())
    assert again.error is None and again.changed == round(pages * changed_share), again.counts
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(
        f"intranet: {pages} pages + a start page, sitemap, ETags; "
        f"{changed_share:.0%} changed before the re-sync"
    )
    print(f"first sync: {first_downloads:5d} full downloads  {first_s:7.1f} s  {first.counts}")
    print(f"re-sync:    {again_downloads:5d} full downloads  {again_s:7.1f} s  {again.counts}")
    print(
        f"requests in the re-sync: {again.stats.get('requests', 0)} "
        f"({again.stats.get('status_304', 0)} answered 304)"
    )
    print(f"ratio downloads: {again_downloads / first_downloads:.1%}  (target <= 5 %)")
    print(f"ratio time:      {again_s / first_s:.1%}  (target <= 10 %)")
    print(f"peak memory (RSS): {peak_mib:.0f} MiB")
    svc.close()
    await site.stop()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
