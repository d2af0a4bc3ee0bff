"""A Subject header that reads back exactly as written, whatever its language.

The email package's default folding (CPython 3.11) breaks a long non-ASCII subject between two
encoded-words at a space and writes that space as the folding whitespace between them, which
RFC 2047 tells a reader to drop: the Russian "отчислениям в" came back as "отчислениямв".
:class:`Subject` is folded by :class:`email.header.Header` instead, which cuts the text inside
encoded-words (every space is encoded within a word) and folds only between whole words, each
at most 75 characters, lines within the policy's length.
"""

from __future__ import annotations

from email.header import Header
from email.policy import Policy


class Subject(str):
    """The subject's text; stored as is by an :class:`~email.message.EmailMessage` (it has a
    ``name``), and folded by :meth:`fold` when the message is written."""

    __slots__ = ()
    name = "Subject"

    def fold(self, *, policy: Policy) -> str:
        maxlinelen = policy.max_line_length or 998
        encoded = Header(str(self), "utf-8", maxlinelen, header_name=self.name).encode(
            linesep=policy.linesep
        )
        return f"{self.name}: {encoded}{policy.linesep}"
