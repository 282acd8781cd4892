"""The card as a PDF: one A6 page per language (reportlab's platypus), the number large, the Telegram bot with a QR
code to its t.me link, the keywords with an example each. A page's content shrinks to fit rather than spilling onto
a second page: one sheet per language is what gets printed and cut."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A6
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import KeepInFrame, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gateway.cards.content import CardFacts, CardPage
from gateway.reports.render_pdf import fonts

MARGIN = 0.6 * cm
WIDTH, HEIGHT = A6[0] - 2 * MARGIN, A6[1] - 2 * MARGIN
QR_SIZE = 2.2 * cm
EXAMPLE_MARK = "\u203a"  # "›": starts every example line (the test reads the examples back by it)
GREY = colors.HexColor("#444444")


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=11, leading=13, spaceAfter=4),
        "label": ParagraphStyle("label", fontName=regular, fontSize=8, leading=10),
        "number": ParagraphStyle("number", fontName=bold, fontSize=17, leading=20, spaceAfter=2),
        "bot": ParagraphStyle("bot", fontName=bold, fontSize=10, leading=12),
        "h2": ParagraphStyle("h2", fontName=bold, fontSize=9, leading=11, spaceBefore=5, spaceAfter=2),
        "example": ParagraphStyle("example", fontName=bold, fontSize=9.5, leading=11.5, spaceBefore=2),
        "explain": ParagraphStyle("explain", fontName=regular, fontSize=7.5, leading=9, leftIndent=8, textColor=GREY),
        "body": ParagraphStyle("body", fontName=regular, fontSize=7.5, leading=9, spaceAfter=2),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """Plain text: catalogue and directory texts are never reportlab markup."""
    return Paragraph(escape(text), style)


def _qr(url: str) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0])
    drawing.add(widget)
    return drawing


def _page(card: CardPage, facts: CardFacts, s: dict) -> list:
    flow = [_p(card.title, s["title"]), _p(card.number_label, s["label"]), _p(facts.number, s["number"])]
    if card.missed_call:
        flow.append(_p(card.missed_call, s["body"]))
    if card.telegram_label and facts.telegram_bot:
        text = [_p(card.telegram_label, s["label"]), _p("@" + facts.telegram_bot, s["bot"])]
        table = Table([[text, _qr(f"https://t.me/{facts.telegram_bot}")]], colWidths=[WIDTH - QR_SIZE, QR_SIZE])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))  # fmt: skip
        flow.append(table)
    flow.append(_p(card.keywords_title, s["h2"]))
    for example in card.examples:
        flow += [_p(f"{EXAMPLE_MARK} {example.example}", s["example"]), _p(example.explanation, s["explain"])]
    flow += [_p(card.after_title, s["h2"]), _p(card.after, s["body"]), _p(card.followup, s["body"])]
    return flow


def render_card(pages: list[CardPage], facts: CardFacts) -> bytes:
    """The PDF: each page's content kept on its own A6 sheet."""
    buffer, s = io.BytesIO(), _styles()
    doc = SimpleDocTemplate(buffer, pagesize=A6, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=pages[0].title, author="gateway")  # fmt: skip
    story: list = []
    for number, card in enumerate(pages):
        if number:
            story.append(PageBreak())
        # A little under the frame: platypus frames pad their content by 6 points on each side.
        story += [KeepInFrame(WIDTH - 12, HEIGHT - 12, _page(card, facts, s), mode="shrink"), Spacer(1, 0)]
    doc.build(story)
    return buffer.getvalue()
