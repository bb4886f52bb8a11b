"""What an evaluation run writes: ``results.json`` (the documented shape) and ``report.html``, one
self-contained page (matrix of cases × models, per-model pass rate, latency and verbosity, two plots
as inline PNG) that opens from disk with no network: no scripts, no fonts, no links out.

Everything a model wrote is escaped: the report shows answers, it never renders them.
"""

from __future__ import annotations

import base64
import html
import io
import json
import statistics
from pathlib import Path
from typing import Any


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def model_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Pass rate, latency and verbosity of one model over its case results. ``tokens_out`` is
    estimated (characters / 4): the answering path does not carry the server's token counts."""
    latencies = [r["latency_ms"] for r in results]
    words = [len(r["answer"].split()) for r in results]
    passed = sum(1 for r in results if r["passed"])
    return {
        "pass_rate": round(passed / len(results), 4) if results else 0.0,
        "passed": passed,
        "total": len(results),
        "latency_p50_ms": round(percentile(latencies, 0.5), 1),
        "latency_p95_ms": round(percentile(latencies, 0.95), 1),
        "words_mean": round(statistics.fmean(words), 1) if words else 0.0,
        "tokens_out": sum(len(r["answer"]) for r in results) // 4,
    }


def write(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    """``results.json`` and ``report.html`` in ``out`` (each written whole, then renamed into place)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / "results.json", out / "report.html")
    for path, text in zip(
        paths, (json.dumps(results, ensure_ascii=False, indent=2), render_html(results)), strict=True
    ):
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    return paths


def _plots(results: dict[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(results["models"])
    fig, (rates, latency) = plt.subplots(1, 2, figsize=(10, 3.6), dpi=100)
    rates.bar(models, [results["models"][m]["pass_rate"] * 100 for m in models], color="#2e7d32")
    rates.set_ylim(0, 100)
    rates.set_ylabel("bestået (%)")
    rates.set_title("Beståede tests pr. model")
    series = [[c["results"][m]["latency_ms"] for c in results["cases"] if m in c["results"]] for m in models]
    latency.boxplot(series, tick_labels=models)
    latency.set_ylabel("ms")
    latency.set_title("Svartid pr. model")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.35rem .5rem;
vertical-align:top;text-align:left}td.ok{background:#e8f5e9}td.fail{background:#ffebee}
td.skip{background:#fff8e1}details summary{cursor:pointer}
pre{white-space:pre-wrap;max-width:40rem;margin:.3rem 0}
.q{max-width:22rem}small{color:#555}
"""


def render_html(results: dict[str, Any]) -> str:
    esc = html.escape
    models = list(results["models"])
    head = "".join(f"<th>{esc(m)}</th>" for m in models)
    summary_rows = "".join(
        f"<tr><td>{esc(m)}</td><td>{s['passed']}/{s['total']} ({s['pass_rate'] * 100:.0f} %)</td>"
        f"<td>{s['latency_p50_ms']:.0f} / {s['latency_p95_ms']:.0f} ms</td>"
        f"<td>{s['words_mean']:.0f}</td></tr>"
        for m, s in results["models"].items()
    )
    rows = []
    for case in results["cases"]:
        cells = []
        for m in models:
            r = case["results"].get(m)
            if r is None:
                cells.append("<td></td>")
                continue
            checks = "".join(
                f"<li>{'✔' if a['passed'] else ('–' if a['passed'] is None else '✘')} {esc(a['type'])}: "
                f"{esc(a['detail'])}</li>"
                for a in r["assertions"]
            )
            sources = ", ".join(dict.fromkeys(esc(c["source"]) for c in r["citations"])) or "ingen"
            css = "ok" if r["passed"] else "fail"
            cells.append(
                f"<td class='{css}'><details><summary>{'bestået' if r['passed'] else 'fejlet'}"
                f" · {r['latency_ms']:.0f} ms</summary><pre>{esc(r['answer'])}</pre>"
                f"<small>kilder: {sources}</small><ul>{checks}</ul></details></td>"
            )
        rows.append(f"<tr><td class='q'>{esc(case['question'])}</td>{''.join(cells)}</tr>")
    title = f"Evaluering af {results['specialist']}"
    return (
        "<!doctype html><html lang='da'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{esc(title)}</h1><p>{esc(results.get('description', ''))} · kørt {esc(results['started'])}</p>"
        "<table><tr><th>model</th><th>bestået</th><th>svartid p50 / p95</th><th>ord i gennemsnit</th></tr>"
        f"{summary_rows}</table>"
        f"<img alt='Beståede tests og svartid pr. model' src='data:image/png;base64,{_plots(results)}'>"
        f"<table><tr><th>spørgsmål</th>{head}</tr>{''.join(rows)}</table></body></html>"
    )


def gate(candidate: dict[str, Any], baseline: dict[str, Any], max_drop: float = 0.0) -> list[str]:
    """The regressions of ``candidate`` against ``baseline``, one line each (empty: the gate passes):
    a model present in both that lost more than ``max_drop`` of pass rate, and every case that passed
    on a model in the baseline and fails on it now."""
    problems: list[str] = []
    if not set(candidate["models"]) & set(baseline["models"]):
        return ["ingen fælles modeller at sammenligne: porten kan ikke bestås uden en sammenligning"]
    for model, now in candidate["models"].items():
        before = baseline["models"].get(model)
        if before is None:
            continue
        drop = before["pass_rate"] - now["pass_rate"]
        if drop > max_drop + 1e-9:
            problems.append(
                f"{model}: bestået faldt fra {before['pass_rate']:.0%} til {now['pass_rate']:.0%}"
            )
    earlier = {c["question"]: c["results"] for c in baseline["cases"]}
    for case in candidate["cases"]:
        for model, result in case["results"].items():
            was = earlier.get(case["question"], {}).get(model)
            if was is not None and was["passed"] and not result["passed"]:
                problems.append(f"{model}: «{case['question']}» bestod før og fejler nu")
    return problems


def render_catalogue(catalogue: dict[str, Any]) -> str:
    """The model catalogue page ("aktuelt situationsbillede"): which model to choose for which data,
    with the evidence of the last benchmark run. Self-contained like the report."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(m)}</td><td>{esc(str(s.get('served_model') or ''))}</td>"
        f"<td>{esc(str(s.get('max_classification') or 'indlejret'))}</td>"
        f"<td>{s['pass_rate'] * 100:.0f} % ({s['passed']}/{s['total']})</td>"
        f"<td>{s['danish_share'] * 100:.0f} %</td><td>{s['words_mean']:.0f}</td>"
        f"<td>{s['latency_p50_ms']:.0f} / {s['latency_p95_ms']:.0f} ms</td></tr>"
        for m, s in catalogue["models"].items()
    )
    return (
        "<!doctype html><html lang='da'><head><meta charset='utf-8'><title>Modelkatalog</title>"
        f"<style>{STYLE}</style></head><body><h1>Modelkatalog</h1>"
        f"<p>{esc(catalogue['benchmark'])}: {catalogue['cases']} spørgsmål, "
        f"kørt {esc(catalogue['date'])}.</p>"
        "<table><tr><th>model</th><th>servermodel</th><th>godkendt op til</th><th>bestået</th>"
        "<th>svar på dansk</th><th>ord i gennemsnit</th><th>svartid p50 / p95</th></tr>"
        f"{rows}</table><p><small>Godkendt op til: den mest følsomme data, modellen må se "
        "(offentlig &lt; intern &lt; fortrolig &lt; personfølsom).</small></p></body></html>"
    )
