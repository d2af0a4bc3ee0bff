"""MkDocs hooks for the documentation site (mkdocs.yml ``hooks:``).

Some pages stand in the repository beside what they describe (deploy/README.md, whose
sections the alerts' runbook_url anchors name; SECURITY.md; collector/telemetry/README.md):
the site shows them whole, from that one copy, where a page of docs/ says

    <!-- include deploy/README.md -->

(``shift=1`` after the path turns its headings one level down). Links are then made to work
in the site: every relative link of a page (or of a file it includes) is read from where that
file stands in the repository; a link to a page of docs/ or to an included file becomes a link
to its page in the site, a link to any other file of the repository becomes its path in code
(the site does not hold it), and a link to nothing is left for ``mkdocs build --strict`` to
refuse. A missing included file stops the build.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path, PurePosixPath
from typing import Any

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
INCLUDE = re.compile(r"^<!-- include (?P<path>\S+)(?: shift=(?P<shift>\d))? -->$", re.MULTILINE)
LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]+)\]\((?P<target>[^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)

_included: dict[str, str] = {}
"""Repository path of an included file → the src_uri of the page that shows it."""


def on_files(files: Any, config: Any) -> Any:
    _included.clear()
    docs = Path(config["docs_dir"])
    for file in files.documentation_pages():
        text = (docs / file.src_uri).read_text(encoding="utf-8")
        for match in INCLUDE.finditer(text):
            _included[match["path"]] = file.src_uri
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    docs = posixpath.relpath(Path(config["docs_dir"]).resolve().as_posix(), ROOT.as_posix())
    page_path = f"{docs}/{page.file.src_uri}"

    def include(match: re.Match[str]) -> str:
        path = ROOT / match["path"]
        if not path.is_file():
            raise PluginError(f"{page.file.src_uri}: no file {match['path']} to include")
        text = path.read_text(encoding="utf-8")
        shift = int(match["shift"] or 0)
        if shift:
            text = _shift_headings(text, shift)
        return _relink(text, match["path"], page_path, docs)

    markdown = _relink(markdown, page_path, page_path, docs)
    return INCLUDE.sub(include, markdown)


def _shift_headings(text: str, shift: int) -> str:
    return _outside_fences(
        text, lambda part: re.sub(r"^(#{1,5}) ", lambda m: "#" * shift + m[0], part, flags=re.M)
    )


def _outside_fences(text: str, change: Any) -> str:
    """``change`` applied to the text outside fenced code blocks."""
    parts = FENCE.split(text)
    out: list[str] = []
    inside = False
    index = 0
    while index < len(parts):
        part = parts[index]
        out.append(part if inside else change(part))
        if index + 1 < len(parts):
            out.append(parts[index + 1])  # the fence itself
            inside = not inside
        index += 2
    return "".join(out)


def _relink(text: str, source: str, page_path: str, docs: str) -> str:
    """Relative links of ``text`` (from the repository file ``source``) made to work from the
    page ``page_path``."""
    source_dir = PurePosixPath(source).parent
    page_dir = PurePosixPath(page_path).parent

    def one(match: re.Match[str]) -> str:
        target = match["target"]
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):
            return match[0]
        path, _, anchor = target.partition("#")
        repo_path = posixpath.normpath(source_dir / path)
        suffix = f"#{anchor}" if anchor else ""
        if repo_path in _included:
            page = f"{docs}/{_included[repo_path]}"
            return f"[{match['text']}]({_relative(page, page_dir)}{suffix})"
        if repo_path.startswith(f"{docs}/"):
            return f"[{match['text']}]({_relative(repo_path, page_dir)}{suffix})"
        if (ROOT / repo_path).exists():
            text = match["text"]
            return text if repo_path in text else f"{text} (`{repo_path}`)"
        return match[0]

    return _outside_fences(text, lambda part: LINK.sub(one, part))


def _relative(target: str, start: PurePosixPath) -> str:
    return posixpath.relpath(target, start.as_posix())
