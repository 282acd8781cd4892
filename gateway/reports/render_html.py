"""The bulletin as one self-contained HTML page: a Jinja template (autoescaped: commune names, commitments and
responsibles are typed by people), the charts inlined as PNG data URIs, and print CSS for A4."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.reports.bulletin import Bulletin
from gateway.reports.words import Words, bulletin_charts, rate_line

TEMPLATES = Path(__file__).with_name("templates")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(bulletin: Bulletin, language: str = "fr") -> str:
    """The bulletin's page, ready to write to a `.html` file."""
    words = Words(language)
    charts = [f"data:image/png;base64,{base64.b64encode(png).decode()}" for png in bulletin_charts(bulletin, words)]
    template = _environment().get_template("bulletin.html")
    return template.render(b=bulletin, w=words, charts=charts, rate_line=rate_line(bulletin, words))
