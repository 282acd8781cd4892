"""The bulletin as an A4 PDF (reportlab's platypus): the title, the week's changes, the small multiples, the service
table, the overdue commitments and the alert counts, in one to two pages for a district. DejaVu Sans (shipped with
matplotlib) carries the French accents; every text from the database is escaped before reportlab reads its markup."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gateway.reports.bulletin import Bulletin
from gateway.reports.words import Words, bulletin_charts, rate_line

MARGIN = 1.4 * cm
FRAME_WIDTH = A4[0] - 2 * MARGIN
CHART_MAX_HEIGHT = 10.5 * cm  # the small multiples share the first page with the title and the changes
GREY, LIGHT = colors.HexColor("#555555"), colors.HexColor("#eeeeee")
CHANGE_COLOURS = {"closed": "#a40000", "returned": "#1f6b1f"}


@cache
def fonts() -> tuple[str, str]:
    """The regular and bold font names: DejaVu Sans from matplotlib's data, else reportlab's Helvetica."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    except Exception:  # noqa: BLE001 - a font file missing or unreadable: the standard font still has é, è, à
        return "Helvetica", "Helvetica-Bold"
    return "DejaVuSans", "DejaVuSans-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=14, leading=17, spaceAfter=2),
        "sub": ParagraphStyle("sub", fontName=regular, fontSize=8.5, leading=11, textColor=GREY, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=11, leading=14, spaceBefore=8, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=regular, fontSize=9, leading=11.5, alignment=TA_LEFT),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", fontName=bold, fontSize=7.5, leading=9),
        "note": ParagraphStyle("note", fontName=regular, fontSize=7.5, leading=9.5, textColor=GREY, spaceBefore=3),
    }


def _p(value: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text: `<`, `>` and `&` from the database are text, never reportlab markup."""
    return Paragraph(escape(str(value)), style)


def _table(header: list[str], rows: list[list[object]], widths: list[float], s: dict, extra: tuple = ()) -> Table:
    data = [[_p(h, s["head"]) for h in header]] + [[c if isinstance(c, Paragraph) else _p(c, s["cell"]) for c in row]
                                                   for row in rows]  # fmt: skip
    table = Table(data, colWidths=[w * FRAME_WIDTH for w in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#bbbbbb")),
                ("BACKGROUND", (0, 0), (-1, 0), LIGHT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                *extra,
            ]
        )
    )
    return table


def _chart(png: bytes) -> Image:
    width, height = ImageReader(io.BytesIO(png)).getSize()
    scale = min(FRAME_WIDTH / width, CHART_MAX_HEIGHT / height)
    return Image(io.BytesIO(png), width=width * scale, height=height * scale)


def _changes(b: Bulletin, w: Words, s: dict) -> list:
    if not b.changes:
        return [_p(w("changes.none"), s["body"])]
    lines = []
    for c in b.changes:
        colour = CHANGE_COLOURS.get(c.change, "#222222")
        where = escape(f"{w.service(c.service)} — {c.commune} ({c.district}) : ")
        lines.append(Paragraph(f"• {where}<font color='{colour}'>{escape(w('change.' + c.change))}</font>", s["body"]))
    return lines


def _services(b: Bulletin, w: Words, s: dict) -> list:
    if not b.services:
        return [_p(w("services.none"), s["body"])]
    header = [w(f"col.{k}") for k in ("district", "commune", "service", "week", "open", "partial", "closed",
                                      "no_answer", "rate", "trend")]  # fmt: skip
    rows, spans = [], []
    for number, line in enumerate(b.services, start=1):
        counts = [w("too_few"), "", "", ""] if line.row.too_few else list(w.counts(line.row))
        if line.row.too_few:  # one cell across the four withheld counts
            spans.append(("SPAN", (4, number), (7, number)))
        rows.append([line.district, line.row.commune, w.service(line.row.service), line.row.week, *counts,
                     w.percent(line.row.response_rate), w.trend(line.trend)])  # fmt: skip
    widths = [0.10, 0.13, 0.12, 0.11, 0.08, 0.08, 0.08, 0.09, 0.10, 0.11]
    return [_table(header, rows, widths, s, tuple(spans))]


def _overdue(b: Bulletin, w: Words, s: dict) -> list:
    if not b.overdue:
        return [_p(w("overdue.none"), s["body"])]
    header = [w(f"col.{k}") for k in ("ref", "district", "commune", "service", "commitment", "responsible", "due",
                                      "status", "late")]  # fmt: skip
    rows = [[i.ref, i.district, f"{i.commune} ({i.village})" if i.village else i.commune, w.service(i.service),
             i.commitment, i.responsible or "", w.day(i.due), w.status(i.status), w("days", days=i.days_late)]
            for i in b.overdue]  # fmt: skip
    return [_table(header, rows, [0.06, 0.09, 0.11, 0.09, 0.22, 0.13, 0.11, 0.09, 0.10], s)]


def _alerts(b: Bulletin, w: Words, s: dict) -> list:
    if not b.alerts:
        return [_p(w("alerts.none"), s["body"]), _p(w("alerts.note"), s["note"])]
    header = [w("col.category"), w("col.severity"), w("col.count")]
    rows = [[w.category(a.category), w.severity(a.severity), a.count] for a in b.alerts]
    return [_table(header, rows, [0.5, 0.3, 0.2], s), _p(w("alerts.total", total=b.alerts_total), s["body"]),
            _p(w("alerts.note"), s["note"])]  # fmt: skip


def render_pdf(bulletin: Bulletin, language: str = "fr") -> bytes:
    """The bulletin's PDF, ready to write to a `.pdf` file (reproducible: no creation date inside)."""
    w, s = Words(language), _styles()
    story: list = [_p(w.title(bulletin), s["title"]), _p(f"{w.period(bulletin)} · {rate_line(bulletin, w)}", s["sub"])]
    story += [_p(w("changes"), s["h2"]), *_changes(bulletin, w, s)]
    story += [_p(w("charts"), s["h2"])]
    story += [_chart(png) for png in bulletin_charts(bulletin, w)] or [_p(w("charts.none"), s["body"])]
    story += [_p(w("services"), s["h2"]), *_services(bulletin, w, s)]
    story += [_p(w("overdue"), s["h2"]), *_overdue(bulletin, w, s)]
    story += [_p(w("alerts"), s["h2"]), *_alerts(bulletin, w, s)]
    story += [Spacer(1, 6), _p(w("footer", min=bulletin.min_answers), s["note"])]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                                 bottomMargin=MARGIN, title=w.title(bulletin), invariant=True)  # fmt: skip
    document.build(story)
    return out.getvalue()
