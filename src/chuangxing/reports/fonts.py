"""The fonts every PDF and chart uses, embedded: nothing is assumed to be installed on the machine.

>>> register_pdf_fonts()                      # idempotent; returns the reportlab font names
('ChuangxingCJK', 'ChuangxingLatin', 'ChuangxingLatinBold')
>>> runs("第3党支部（90分）")
[('ChuangxingCJK', '第'), ('ChuangxingLatin', '3'), ('ChuangxingCJK', '党支部（'), ('ChuangxingLatin', '90'), ...]
>>> chart_font(size=9)                        # a matplotlib FontProperties with the same two fonts

The Chinese font shipped here (``fonts/DroidSansFallbackFull.ttf``, Apache-2.0) is a *fallback*
font: it has the Chinese characters and the full-width punctuation, but no Latin letters, no
digits, no ★ and no curly quotes. Those come from DejaVu Sans, which ships inside matplotlib (a
pinned dependency, so it is on every machine that runs the reports). Text is cut into runs by which
font has the glyph; reportlab embeds both fonts (subset) in the PDF, and matplotlib falls back
from DejaVu Sans to the Chinese font glyph by glyph.
"""

from __future__ import annotations

import importlib.util
import re
import threading
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

FONT_DIR = Path(__file__).with_name("fonts")
CJK_FONT_FILE = FONT_DIR / "DroidSansFallbackFull.ttf"
CJK, LATIN, LATIN_BOLD = "ChuangxingCJK", "ChuangxingLatin", "ChuangxingLatinBold"

_lock = threading.Lock()


def latin_font_file(*, bold: bool = False) -> Path:
    """DejaVu Sans as shipped in matplotlib's package data (found without importing matplotlib)."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:   # pragma: no cover - matplotlib is a dependency
        raise RuntimeError("matplotlib is not installed: its DejaVu Sans font is needed for Latin text in reports")
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(spec.submodule_search_locations[0]) / "mpl-data" / "fonts" / "ttf" / name


@lru_cache(maxsize=1)
def register_pdf_fonts() -> tuple[str, str, str]:
    """Register the fonts with reportlab once per process; the names to use in styles."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    with _lock:
        pdfmetrics.registerFont(TTFont(CJK, str(CJK_FONT_FILE)))
        pdfmetrics.registerFont(TTFont(LATIN, str(latin_font_file())))
        pdfmetrics.registerFont(TTFont(LATIN_BOLD, str(latin_font_file(bold=True))))
    return CJK, LATIN, LATIN_BOLD


@lru_cache(maxsize=1)
def _cjk_codepoints() -> frozenset[int]:
    from reportlab.pdfbase import pdfmetrics

    register_pdf_fonts()
    return frozenset(pdfmetrics.getFont(CJK).face.charToGlyph)


def _font_of(ch: str, cjk: frozenset[int]) -> str | None:
    if ch in " \t\n":
        return None                  # both fonts have a space: it joins the run it is in
    return CJK if ord(ch) in cjk else LATIN


@lru_cache(maxsize=50_000)
def runs(text: str, *, bold: bool = False) -> tuple[tuple[str, str], ...]:
    """``text`` cut into ``(font name, piece)`` runs, each drawn with a font that has its glyphs."""
    cjk = _cjk_codepoints()
    latin = LATIN_BOLD if bold else LATIN
    out: list[list[str]] = []
    for ch in text:
        font = _font_of(ch, cjk)
        font = latin if font == LATIN else font
        if out and (font is None or out[-1][0] == font):
            out[-1][1] += ch
        elif font is None:
            out.append([CJK, ch])
        else:
            out.append([font, ch])
    return tuple((font, piece) for font, piece in out)


def is_single_font(text: str) -> str | None:
    """The one font that draws all of ``text``, or None when it needs both."""
    pieces = runs(text)
    fonts = {font for font, piece in pieces if piece.strip()}
    if not fonts:
        return CJK
    return fonts.pop() if len(fonts) == 1 else None


_BREAKS = re.compile(r"\r\n|\r|\n")


@lru_cache(maxsize=50_000)
def markup(text: str, *, bold: bool = False, keep_spaces: bool = False) -> str:
    """``text`` as reportlab Paragraph markup (the paragraph's own font is the Chinese one):
    escaped, Latin runs in the Latin font, line breaks kept (and spaces, with ``keep_spaces``)."""
    parts = []
    for font, piece in runs(text, bold=bold):
        escaped = _BREAKS.sub("<br/>", escape(piece))
        if keep_spaces:
            escaped = escaped.replace(" ", "&nbsp;")
        parts.append(escaped if font == CJK else f'<font face="{font}">{escaped}</font>')
    return "".join(parts)


@lru_cache(maxsize=100_000)
def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width of ``text`` on one line, in points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(piece, font, size) for font, piece in runs(text, bold=bold))


def draw_text(canvas, x: float, y: float, text: str, size: float, *, align: str = "left", bold: bool = False) -> None:
    """Draw one line on a reportlab canvas, font run by font run (page numbers, running heads)."""
    width = text_width(text, size, bold=bold)
    if align == "center":
        x -= width / 2
    elif align == "right":
        x -= width
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for font, piece in runs(text, bold=bold):
        canvas.setFont(font, size)
        canvas.drawString(x, y, piece)
        x += stringWidth(piece, font, size)


# -- matplotlib ---------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _chart_families() -> tuple[str, ...]:
    from matplotlib import font_manager

    with _lock:
        font_manager.fontManager.addfont(str(CJK_FONT_FILE))
        cjk_name = font_manager.FontProperties(fname=str(CJK_FONT_FILE)).get_name()
        font_manager.fontManager.addfont(str(latin_font_file()))
        latin_name = font_manager.FontProperties(fname=str(latin_font_file())).get_name()
    return latin_name, cjk_name


def chart_font(*, size: float = 9, bold: bool = False):
    """matplotlib FontProperties: DejaVu Sans, falling back to the shipped Chinese font glyph by glyph."""
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=list(_chart_families()), size=size, weight="bold" if bold else "normal")
