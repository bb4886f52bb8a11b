"""Time to sanitise adversarial Markdown: what one model answer can cost the answering path.

Each input is ``--size`` characters (default 50,000) from ``bench/adversarial.py``, sanitised with the
answering policy and a redactor's restore, as ``bot.llm.safe_markdown`` runs on every answer. Prints
milliseconds per input, the worst, and each input's time at half the size (linear work doubles).

    .venv/bin/python bench/sanitise_cost.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.adversarial import markdown_inputs
from bot.llm.output import LinkPolicy, sanitise
from bot.llm.pii import Redactor


def timed(text: str, policy: LinkPolicy) -> float:
    red = Redactor()
    red.redact("010203-1234 borger@gmail.com tlf. 87654321")
    start = time.perf_counter()
    sanitise(text, policy, restore=red.restore)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=50_000)
    args = parser.parse_args()
    policy = LinkPolicy(["aarhus.dk"])
    half = markdown_inputs(args.size // 2)
    worst = 0.0
    print(f"{'input':30s} {'chars':>9s} {'ms':>9s} {'half size ms':>13s} {'ratio':>6s}")
    for name, text in markdown_inputs(args.size).items():
        full, small = timed(text, policy), timed(half[name], policy)
        worst = max(worst, full)
        ratio = full / max(small, 1e-9)
        print(f"{name:30s} {len(text):>9,d} {full * 1000:9.1f} {small * 1000:13.1f} {ratio:6.2f}", flush=True)
    print(f"{'worst':30s} {'':>9s} {worst * 1000:9.1f}")


if __name__ == "__main__":
    main()
