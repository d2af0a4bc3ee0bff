"""What poppler-utils read back from a PDF: its text and its page report."""

from __future__ import annotations

import re
import subprocess
from html import unescape
from pathlib import Path


def pdf_words(pdf: bytes, folder: Path, *, layout: bool = False) -> tuple[str, str]:
    """pdftotext's text of ``pdf`` (spaces of every kind made one, unless ``layout``) and
    pdfinfo's report (pages, page size)."""
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    argv = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    text = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    return (text if layout else " ".join(text.split())), info.stdout


def pdf_word_boxes(pdf: bytes, folder: Path) -> list[tuple[str, float, float]]:
    """Each word pdftotext reads on ``pdf``'s pages, with its left and right edge (points);
    a word running off the page comes back cut, its right edge past the page's."""
    path = folder / "document.pdf"
    path.write_bytes(pdf)
    argv = ["pdftotext", "-bbox", str(path), "-"]
    html = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    return [
        (unescape(word), float(x_min), float(x_max)) for x_min, x_max, word in _WORD.findall(html)
    ]


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>'
)
