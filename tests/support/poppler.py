"""What poppler-utils read back from a PDF: its text and its page report."""

from __future__ import annotations

import subprocess
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
