"""SVG charts for the site, built as escaped strings at build time, each with a text alternative.

No chart library and no script: a chart is a static `<svg role="img">` whose `<title>` and
`<desc>` say in words what the bars show; the page puts the same figures in a table next to it.
Geometry uses Decimal arithmetic rounded to a tenth of a pixel, so output is byte-identical.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from textcrm.money import round_figure

# Colours of the forecast categories (also used in the CSS legend); all pass 3:1 against white.
SERIES_COLOURS = {
    "commit": "#1e40af",
    "best_case": "#3b82f6",
    "pipeline": "#93a3b8",
    "closed_won": "#047857",
    "total": "#1e40af",
    "weighted": "#3b82f6",
}


@dataclass(frozen=True, slots=True)
class Bar:
    """One labelled value of a chart: `value` for the geometry, `text` as printed."""

    label: str
    value: Decimal
    text: str


def _n(value: Decimal) -> str:
    """A coordinate with at most one decimal, without trailing zeros."""
    q = round_figure(value, 1)
    text = format(q, "f")
    return text[:-2] if text.endswith(".0") else text


def _scale(values: Sequence[Decimal], length: Decimal) -> tuple[Decimal, Decimal]:
    top = max([v for v in values if v > 0], default=Decimal(0))
    return top, (length / top if top else Decimal(0))


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> list[str]:
    cid = escape(chart_id)
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(desc)}</desc>',
    ]


HEADING_H = 24


def _heading(out: list[str], heading: str) -> None:
    """A visible line above the plot (which currency, or that amounts are converted); the
    plot below it is moved down by HEADING_H and closed by `_close`."""
    if heading:
        out.append(f'<text x="0" y="15" class="heading">{escape(heading)}</text>')
        out.append(f'<g transform="translate(0 {HEADING_H})">')


def _close(out: list[str], heading: str) -> str:
    if heading:
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def _text_width(texts: Sequence[str]) -> int:
    """A generous width in pixels for the longest of `texts` at the charts' 13px font."""
    return int(max((len(t) for t in texts), default=0) * 7.6) + 10


def stage_bars(
    chart_id: str, title: str, rows: Sequence[tuple[str, Bar, Bar]], heading: str = ""
) -> str:
    """Horizontal bars per stage: expected revenue, and weighted revenue inside it.

    `rows` are (stage name, expected, weighted); `heading`, when given, is shown above the
    bars. The description lists every figure. The value column is as wide as its longest
    amount, so that no figure is cut off.
    """
    label_w, bar_w, row_h = 110, 250, 34
    value_w = max(110, _text_width([exp.text for _, exp, _ in rows]))
    width = label_w + bar_w + value_w
    height = max(row_h * len(rows) + 30, 60) + (HEADING_H if heading else 0)
    desc = "; ".join(f"{name}: {exp.text} expected, {w.text} weighted" for name, exp, w in rows)
    out = _open(chart_id, width, height, title, desc or "No open stages.")
    _heading(out, heading)
    height -= HEADING_H if heading else 0
    _, factor = _scale(
        [exp.value for _, exp, _ in rows] + [w.value for _, _, w in rows], Decimal(bar_w - 10)
    )
    for i, (name, exp, w) in enumerate(rows):
        y = Decimal(i * row_h + 6)
        ew = exp.value * factor if exp.value > 0 else Decimal(0)
        ww = w.value * factor if w.value > 0 else Decimal(0)
        out.append(
            f'<g class="row"><text x="{label_w - 10}" y="{_n(y + 17)}" '
            f'text-anchor="end" class="label">{escape(name)}</text>'
        )
        out.append(
            f'<rect x="{label_w}" y="{_n(y + 2)}" width="{_n(max(ew, Decimal(1)))}" '
            f'height="22" rx="3" fill="{SERIES_COLOURS["pipeline"]}" opacity="0.45"/>'
        )
        out.append(
            f'<rect x="{label_w}" y="{_n(y + 6)}" width="{_n(max(ww, Decimal(1)))}" '
            f'height="14" rx="2" fill="{SERIES_COLOURS["total"]}"/>'
        )
        out.append(
            f'<text x="{_n(label_w + ew + 8)}" y="{_n(y + 17)}" class="value">'
            f"{escape(exp.text)}</text></g>"
        )
    ly = height - 12
    out.append(
        f'<g class="legend"><rect x="{label_w}" y="{ly - 9}" width="12" height="12" '
        f'rx="2" fill="{SERIES_COLOURS["pipeline"]}" opacity="0.45"/>'
        f'<text x="{label_w + 18}" y="{ly + 1}">Expected</text>'
        f'<rect x="{label_w + 100}" y="{ly - 9}" width="12" height="12" rx="2" '
        f'fill="{SERIES_COLOURS["total"]}"/>'
        f'<text x="{label_w + 118}" y="{ly + 1}">Weighted</text></g>'
    )
    return _close(out, heading)


def stacked_columns(
    chart_id: str,
    title: str,
    columns: Sequence[tuple[str, Sequence[tuple[str, Bar]], Bar]],
    series_names: dict[str, str],
    heading: str = "",
) -> str:
    """Stacked columns per period (forecast categories), with a closed-won column beside.

    `columns` are (period label, [(series key, bar)...], closed won bar); `heading`, when
    given, is shown above the plot.
    """
    left, plot_h, top_pad, col_w, gap = 10, 180, 16, 30, 22
    width = left * 2 + len(columns) * (col_w * 2 + 6 + gap)
    height = top_pad + plot_h + 64
    parts = []
    for label, stack, won in columns:
        bits = ", ".join(f"{series_names[k]} {b.text}" for k, b in stack)
        parts.append(f"{label}: {bits}; closed won {won.text}")
    out = _open(
        chart_id,
        max(width, 300),
        height + (HEADING_H if heading else 0),
        title,
        "; ".join(parts) or "No periods.",
    )
    _heading(out, heading)
    totals = [
        sum((b.value for _, b in stack if b.value > 0), Decimal(0)) for _, stack, _ in columns
    ]
    _, factor = _scale(totals + [won.value for _, _, won in columns], Decimal(plot_h))
    base = Decimal(top_pad + plot_h)
    out.append(
        f'<line x1="{left}" x2="{max(width, 300) - left}" y1="{base}" y2="{base}" class="axis"/>'
    )
    for i, (label, stack, won) in enumerate(columns):
        x = Decimal(left + gap // 2 + i * (col_w * 2 + 6 + gap))
        y = base
        for key, bar in stack:
            if bar.value <= 0:
                continue
            h = bar.value * factor
            y -= h
            out.append(
                f'<rect x="{_n(x)}" y="{_n(y)}" width="{col_w}" height="{_n(h)}" '
                f'fill="{SERIES_COLOURS[key]}"><title>{escape(label)}: '
                f"{escape(series_names[key])} {escape(bar.text)}</title></rect>"
            )
        if won.value > 0:
            h = won.value * factor
            out.append(
                f'<rect x="{_n(x + col_w + 6)}" y="{_n(base - h)}" width="{col_w}" '
                f'height="{_n(h)}" fill="{SERIES_COLOURS["closed_won"]}"><title>'
                f"{escape(label)}: closed won {escape(won.text)}</title></rect>"
            )
        out.append(
            f'<text x="{_n(x + col_w + 3)}" y="{_n(base + 18)}" text-anchor="middle" '
            f'class="label">{escape(label)}</text>'
        )
    ly = base + 44
    lx = left
    for key in (*series_names, "closed_won"):
        name = series_names.get(key, "Closed won")
        out.append(
            f'<rect x="{lx}" y="{_n(ly - 10)}" width="12" height="12" rx="2" '
            f'fill="{SERIES_COLOURS[key]}"/><text x="{lx + 17}" y="{_n(ly)}" '
            f'class="legend">{escape(name)}</text>'
        )
        lx += 34 + 7 * len(name)
    return _close(out, heading)


# Waterfall colours: totals, additions, subtractions.
WATERFALL_COLOURS = {"total": "#1e40af", "up": "#047857", "down": "#b91c1c"}


def waterfall(chart_id: str, title: str, steps: Sequence[Bar], heading: str = "") -> str:
    """A waterfall: the first and last bars are totals from zero; between them the bars
    float, adding (up) then subtracting (down) in the order given: start, new, increases,
    decreases, won, lost, removed, end. `heading`, when given, is shown above the plot;
    columns are spaced by their longest label, so that labels never overlap."""
    signs = ["total", "up", "up", "down", "down", "down", "down", "total"][: len(steps)]
    left, plot_h, top_pad, col_w = 10, 180, 16, 44
    gap = max(14, _text_width([b.label for b in steps]) - col_w)
    width = max(left * 2 + len(steps) * (col_w + gap), 300)
    height = top_pad + plot_h + 44
    desc = "; ".join(f"{b.label}: {b.text}" for b in steps)
    out = _open(
        chart_id, width, height + (HEADING_H if heading else 0), title, desc or "No figures."
    )
    _heading(out, heading)
    # The running level after each step, to place the floating bars and scale the plot.
    levels, level = [], Decimal(0)
    for sign, bar in zip(signs, steps, strict=True):
        before = Decimal(0) if sign == "total" else level
        level = (
            bar.value if sign == "total" else level + (bar.value if sign == "up" else -bar.value)
        )
        levels.append((before, level))
    _, factor = _scale([max(a, b) for a, b in levels], Decimal(plot_h))
    base = Decimal(top_pad + plot_h)
    out.append(f'<line x1="{left}" x2="{width - left}" y1="{base}" y2="{base}" class="axis"/>')
    for i, (sign, bar, (before, after)) in enumerate(zip(signs, steps, levels, strict=True)):
        x = Decimal(left + gap // 2 + i * (col_w + gap))
        low, high = sorted((max(before, Decimal(0)), max(after, Decimal(0))))
        h = (high - low) * factor
        out.append(
            f'<rect x="{_n(x)}" y="{_n(min(base - high * factor, base - max(h, Decimal(1))))}" '
            f'width="{col_w}" height="{_n(max(h, Decimal(1)))}" '
            f'fill="{WATERFALL_COLOURS[sign]}"><title>'
            f"{escape(bar.label)}: {escape(bar.text)}</title></rect>"
        )
        out.append(
            f'<text x="{_n(x + col_w // 2)}" y="{_n(base + 16)}" text-anchor="middle" '
            f'class="label">{escape(bar.label)}</text>'
        )
    return _close(out, heading)
