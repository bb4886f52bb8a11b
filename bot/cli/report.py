"""The insights report as files: ``report.html`` (self-contained: the plots are inline SVG drawn here,
the styles inline, a Content-Security-Policy that lets the page fetch nothing) and ``insights.json``
(the same figures). Every text from the database (names, masked questions, reasons) is escaped."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from bot.messages import t
from bot.services.insights import Report, change_text

BLUE, ORANGE, RED, GREY, GREEN = "#1f5fa8", "#d9822b", "#c23b3b", "#9aa3ad", "#2e8b57"
WIDTH = 720
SHOWN_THEMES = 15  # in the plot (all are in the list and the JSON)
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'"


def report_json(report: Report) -> dict[str, Any]:
    themes = [
        {"specialist": st.slug, "specialist_name": st.name, **theme.as_json()}
        for st in report.themes
        for theme in st.themes
    ]
    return {
        "generated": report.generated.isoformat(timespec="seconds"),
        "specialist": report.name,
        "specialists": report.slugs,
        **report.figures.as_json(),
        "themes": sorted(themes, key=lambda x: (-x["count"], -x["last_week"], x["label"])),
    }


def write(report: Report, out: Path, locale: str) -> tuple[Path, Path]:
    """Write both files into ``out`` (made if missing); returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    data = report_json(report)
    json_path, html_path = out / "insights.json", out / "report.html"
    json_path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    html_path.write_text(html(report, data, locale), encoding="utf-8")
    return html_path, json_path


# -- drawing ---------------------------------------------------------------------------------------
def _svg(height: int, body: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12, fill: str = "#222") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">'
        f"{escape(text)}</text>"
    )


def per_day_svg(per_day: list[tuple[Any, int]], title: str) -> str:
    """Columns, one per day; the first, middle and last dates under them, the highest count above."""
    height, left, bottom, top = 220, 40, 30, 20
    plot_w, plot_h = WIDTH - left - 10, height - bottom - top
    peak = max((n for _d, n in per_day), default=0) or 1
    step = plot_w / max(len(per_day), 1)
    parts = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - 10}" y2="{top + plot_h}" stroke="{GREY}"/>',
        _text(left - 6, top + 4, str(peak), "end", 11),
        _text(left - 6, top + plot_h, "0", "end", 11),
    ]
    for i, (day, n) in enumerate(per_day):
        h = plot_h * n / peak
        parts.append(
            f'<rect class="bar" x="{left + i * step + 1:.1f}" y="{top + plot_h - h:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{h:.1f}" fill="{BLUE}"><title>{day}: {n}</title></rect>'
        )
    for i in sorted({0, len(per_day) // 2, len(per_day) - 1}) if per_day else []:
        parts.append(_text(left + (i + 0.5) * step, height - 10, f"{per_day[i][0]:%d/%m}", "middle", 11))
    return _svg(height, "".join(parts), title)


def bars_svg(rows: list[tuple[str, float, str, str]], title: str, scale: float | None = None) -> str:
    """Horizontal bars: (label, value, shown value, colour) per row."""
    label_w, row_h = 260, 26
    height = max(len(rows), 1) * row_h + 10
    top = scale or max((v for _l, v, _s, _c in rows), default=0) or 1
    plot_w = WIDTH - label_w - 70
    parts = []
    for i, (label, value, shown, colour) in enumerate(rows):
        y = 5 + i * row_h
        w = plot_w * value / top
        short = label if len(label) <= 40 else label[:39] + "…"
        parts += [
            _text(label_w - 8, y + 16, short, "end"),
            f'<rect class="bar" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(shown)}</title></rect>',
            _text(label_w + w + 6, y + 16, shown),
        ]
    return _svg(height, "".join(parts), title)


def themes_svg(rows: list[tuple[str, int, int]], title: str, now_label: str, before_label: str) -> str:
    """Per theme two bars: this week (blue) and the week before (grey)."""
    label_w, row_h = 300, 34
    height = max(len(rows), 1) * row_h + 30
    top = max((max(a, b) for _l, a, b in rows), default=0) or 1
    plot_w = WIDTH - label_w - 50
    parts = [
        f'<rect x="{label_w}" y="4" width="10" height="10" fill="{BLUE}"/>',
        _text(label_w + 14, 13, now_label, size=11),
        f'<rect x="{label_w + 120}" y="4" width="10" height="10" fill="{GREY}"/>',
        _text(label_w + 134, 13, before_label, size=11),
    ]
    for i, (label, now, before) in enumerate(rows):
        y = 24 + i * row_h
        short = label if len(label) <= 46 else label[:45] + "…"
        parts.append(_text(label_w - 8, y + 18, short, "end", 11))
        for j, (value, colour) in enumerate(((now, BLUE), (before, GREY))):
            w = plot_w * value / top
            parts += [
                f'<rect class="bar" x="{label_w}" y="{y + 3 + j * 14}" width="{w:.1f}" height="12" '
                f'fill="{colour}"><title>{escape(label)}: {value}</title></rect>',
                _text(label_w + w + 4, y + 13 + j * 14, str(value), size=10),
            ]
    return _svg(height, "".join(parts), title)


# -- the page --------------------------------------------------------------------------------------
def html(report: Report, data: dict[str, Any], locale: str) -> str:
    f = report.figures

    def say(key: str, **values: object) -> str:
        return t(key, locale, **values)

    name = report.name or say("all_specialists")
    sections: list[str] = []
    sections.append(_h2(say("report_per_day")) + per_day_svg(f.per_day, say("report_per_day")))
    returning = [
        (say("report_users"), f.users, str(f.users), GREY),
        (say("report_within_7"), f.returning_7, str(f.returning_7), GREEN),
        (say("report_within_30"), f.returning_30, str(f.returning_30), GREEN),
    ]
    sections.append(_h2(say("report_returning")) + bars_svg(returning, say("report_returning")))
    shares = [
        (say(key), f.share(n), f"{f.share(n):.0%} ({n})", colour)
        for key, n, colour in (
            ("report_answered", f.answered, GREEN),
            ("report_no_source", f.no_source, ORANGE),
            ("report_disliked", f.disliked, RED),
        )
    ]
    sections.append(_h2(say("report_outcomes")) + bars_svg(shares, say("report_outcomes"), 1.0))
    reasons = [(r or say("insights_no_reason"), n, str(n), RED) for r, n in f.reasons.items()]
    sections.append(
        f"<h2>{escape(say('report_reasons'))}</h2>"
        + (bars_svg(reasons, say("report_reasons")) if reasons else f"<p>{escape(say('report_nothing'))}</p>")
    )
    themes = data["themes"]
    theme_rows = [(f"{x['specialist_name']}: {x['label']}", x["count"], x["last_week"]) for x in themes]
    section = f"<h2>{escape(say('report_themes'))}</h2>"
    if themes:
        section += themes_svg(
            theme_rows[:SHOWN_THEMES], say("report_themes"), say("report_this_week"), say("report_last_week")
        )
        section += "<ol>" + "".join(_theme_item(x, locale) for x in themes) + "</ol>"
    else:
        section += f"<p>{escape(say('report_nothing'))}</p>"
    sections.append(section)
    generated = say("report_generated", at=f"{report.generated:%Y-%m-%d %H:%M} UTC", days=f.days)
    return f"""<!doctype html>
<html lang="{escape(locale)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(say("report_title", name=name))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 760px; color: #222; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.1em; margin-top: 2em; }}
.meta {{ color: #666; }} svg {{ display: block; max-width: 100%; height: auto; }}
li {{ margin: .4em 0; }} li details {{ color: #444; }}
</style>
</head>
<body>
<h1>{escape(say("report_title", name=name))}</h1>
<p class="meta">{escape(generated)}</p>
{"".join(f"<section>{s}</section>" for s in sections)}
</body>
</html>
"""


def _h2(text: str) -> str:
    return f"<h2>{escape(text)}</h2>"


def _theme_item(x: dict[str, Any], locale: str) -> str:
    questions = "".join(f"<li>{escape(q)}</li>" for q in x["questions"])
    count = t("report_questions", locale, count=len(x["questions"]))
    return (
        f"<li><strong>{escape(x['specialist_name'])}</strong>: «{escape(x['label'])}» · "
        f"{x['count']} ({escape(change_text(x['change']))})"
        f"<details><summary>{escape(count)}</summary><ul>{questions}</ul></details></li>"
    )
