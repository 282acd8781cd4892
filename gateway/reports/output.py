"""A chart as SVG text (the console) or PNG bytes (the bulletin), reproducible: no creation date in the file."""

from __future__ import annotations

import base64
import io

from matplotlib.figure import Figure

PNG_DPI = 150


def svg_text(figure: Figure) -> str:
    """The figure as a standalone SVG document (text kept as text, escaped by matplotlib)."""
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def png_bytes(figure: Figure, dpi: int = PNG_DPI) -> bytes:
    """The figure as PNG bytes, `figsize × dpi` pixels (white background, for print)."""
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    return out.getvalue()


def svg_data_uri(svg: str) -> str:
    """An SVG as a `data:` URI for an <img>: the console's CSP forbids inline styles, which matplotlib's SVG needs,
    and an SVG shown as an image runs nothing, whatever it holds."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
