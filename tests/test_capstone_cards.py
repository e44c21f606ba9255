"""The capstone's dashboard cards: text escaped exactly once in HTML, never in the plain-text view."""

from __future__ import annotations

import html
import re

import pytest

from lab.exercises.capstone import Dashboard, Panel


def card_texts(dashboard: Dashboard) -> list[str]:
    """What a browser shows in each card's last line (the HTML unescaped once, as a browser does)."""
    return [html.unescape(text) for text in re.findall(r'margin-top:4px">(.*?)</div>', dashboard._repr_html_())]


@pytest.mark.parametrize("panel, shown", [
    (Panel("notes", "ok", {"note": "it's <b>bold</b> & fine"}), "{'note': \"it's <b>bold</b> & fine\"}"),
    (Panel("notes", "failed", reason="HTTP 503 <Service Unavailable> & 'retry'"),
     "HTTP 503 <Service Unavailable> & 'retry'"),
])
def test_a_card_shows_the_text_itself(panel: Panel, shown: str) -> None:
    dashboard = Dashboard([panel])
    assert card_texts(dashboard) == [shown]
    assert "&amp;" not in html.unescape(dashboard._repr_html_())  # escaped once: one unescape gives the text back
    assert repr(dashboard).split(None, 2)[2] == shown  # the plain-text view is not escaped at all
