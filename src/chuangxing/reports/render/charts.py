"""Charts: matplotlib's object API on the Agg canvas (no pyplot, no global state), PNG bytes out.

>>> png, width_in, height_in = chart_png(Chart("等次分布", ["三星", "四星"], [("党支部数", [12, 3])]))

The fonts are the reports' own (:func:`chuangxing.reports.fonts.chart_font`): DejaVu Sans for
digits and Latin text, the shipped Chinese font for the rest, glyph by glyph.
"""

from __future__ import annotations

import io
from typing import Any

from chuangxing.reports.document import Chart, as_decimal
from chuangxing.reports.fonts import chart_font

WIDTH_IN = 7.5
DPI = 150
COLORS = ("#C00000", "#7F7F7F", "#2F5597", "#BF9000", "#548235")


def chart_png(chart: Chart, *, width_in: float = WIDTH_IN, dpi: int = DPI) -> tuple[bytes, float, float]:
    """The chart as PNG, with its size in inches (width, height)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    n = max(1, len(chart.labels))
    height_in = max(2.6, 0.32 * n + 1.4) if chart.horizontal else 3.6
    figure = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    _bars(axes, chart)
    axes.set_title(chart.title, fontproperties=chart_font(size=11))
    labels = [str(label) for label in chart.labels]
    ticks = range(len(labels))
    if chart.horizontal:
        axes.set_yticks(list(ticks), labels, fontproperties=chart_font(size=8))
        axes.invert_yaxis()
        axes.set_xlabel(chart.value_label, fontproperties=chart_font(size=9))
    else:
        axes.set_xticks(list(ticks), labels, fontproperties=chart_font(size=8), rotation=30 if n > 6 else 0,
                        ha="right" if n > 6 else "center")
        axes.set_ylabel(chart.value_label, fontproperties=chart_font(size=9))
    for label in (axes.get_yticklabels() if not chart.horizontal else axes.get_xticklabels()):
        label.set_fontproperties(chart_font(size=8))
    if chart.percent:
        from matplotlib.ticker import PercentFormatter

        (axes.xaxis if chart.horizontal else axes.yaxis).set_major_formatter(PercentFormatter(1.0))
    if len(chart.series) > 1:
        axes.legend(prop=chart_font(size=8))
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue(), width_in, height_in


def _bars(axes: Any, chart: Chart) -> None:
    count = max(1, len(chart.series))
    thickness = 0.8 / count
    for k, (name, values) in enumerate(chart.series):
        numbers = [float(as_decimal(v) or 0) for v in values]
        offsets = [i - 0.4 + thickness * (k + 0.5) for i in range(len(numbers))]
        color = COLORS[k % len(COLORS)]
        if chart.horizontal:
            bars = axes.barh(offsets, numbers, height=thickness, label=name, color=color)
        else:
            bars = axes.bar(offsets, numbers, width=thickness, label=name, color=color)
        shown = [f"{v * 100:.1f}%" if chart.percent else f"{v:g}" for v in numbers]
        axes.bar_label(bars, shown, padding=2, fontproperties=chart_font(size=7))
