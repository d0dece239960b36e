"""Checks of predict's overlays and index.html without a browser (none on the test machines).

``png_size`` reads a PNG's header; ``parse_page`` reads the page with Python's html.parser: case rows,
images, text, links.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the IHDR chunk; fails unless the file starts like a PNG."""
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@dataclass
class PageRow:
    case: str
    probability: str
    images: list[str] = field(default_factory=list)
    text: str = ""
    classes: list[str] = field(default_factory=list)  # class attributes inside the row (FP, FN, ...)


class IndexPage(HTMLParser):
    """Case rows (``tr`` with ``data-case``), every ``src``/``href``, and tags that load external things."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[PageRow] = []
        self.links: list[str] = []
        self.tags: list[str] = []
        self.title = ""
        self._in_title = False
        self._row_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        self._in_title = tag == "title"
        if tag == "tr" and "data-case" in a:
            self.rows.append(PageRow(a["data-case"], a.get("data-probability", "")))
            self._row_depth = 1
        elif tag == "tr" and self._row_depth:
            self._row_depth += 1
        for key in ("src", "href"):
            if key in a:
                self.links.append(a[key])
        if self._row_depth and tag == "img":
            self.rows[-1].images.append(a["src"])
        if self._row_depth and "class" in a:
            self.rows[-1].classes.append(a["class"])

    def handle_endtag(self, tag):
        self._in_title = False
        if tag == "tr" and self._row_depth:
            self._row_depth -= 1

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._row_depth:
            self.rows[-1].text += data


def parse_page(path: Path) -> IndexPage:
    page = IndexPage()
    page.feed(Path(path).read_text(encoding="utf-8"))
    page.close()
    return page


def resolve(page_path: Path, link: str) -> Path:
    """A relative link of the page as a file path; fails on anything that would leave the disk."""
    parsed = urlparse(link)
    assert not parsed.scheme and not parsed.netloc and not link.startswith("/"), link
    return page_path.parent / unquote(parsed.path)
