"""Time to scan adversarial text for personal data: what one request can cost the detector.

Each input is ``--size`` characters (default 50,000, the size of the request that froze every door
for ~14 s) built to make a backtracking pattern work hard: whitespace, digit, dash and '@' runs,
invisible characters, many values. Prints milliseconds per input for ``find_pii`` and the worst.

    .venv/bin/python bench/pii_scan.py                          # the detector in this checkout
    git show ad2deb6:bot/llm/pii.py > /tmp/pii_old.py
    .venv/bin/python bench/pii_scan.py --module /tmp/pii_old.py # the detector before issue 21
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.adversarial import pii_inputs


def load(path: str | None) -> ModuleType:
    if path is None:
        from bot.llm import pii

        return pii
    spec = importlib.util.spec_from_file_location("pii_under_test", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--module", help="a pii.py to time instead of bot.llm.pii")
    parser.add_argument("--size", type=int, default=50_000)
    args = parser.parse_args()
    pii = load(args.module)
    worst = 0.0
    for name, text in pii_inputs(args.size).items():
        start = time.perf_counter()
        pii.find_pii(text)
        elapsed = time.perf_counter() - start
        worst = max(worst, elapsed)
        print(f"{name:28s} {len(text):>9,d} chars {elapsed * 1000:10.1f} ms", flush=True)
    print(f"{'worst':28s} {'':>15s} {worst * 1000:10.1f} ms")


if __name__ == "__main__":
    main()
