"""A stand-in for :class:`~collector.sources.http.HttpSource` that answers from memory.

The pool adapters take their HTTP layer as a constructor argument; the fuzz tests pass this
instead, so each fuzzed document goes through the adapter's real ``check`` (normalisation)
exactly as a body from the network would, without sockets and without patching anything.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any, TypeVar

from collector.errors import SourceBadResponse

T = TypeVar("T")


class CannedHttp:
    """Answers a request with the document of the first ``answers`` key its URL contains.

    Args:
        answers: URL fragment -> parsed JSON document (what ``json.loads`` would return).
        default: the document for a URL no fragment matches.
    """

    def __init__(self, answers: Mapping[str, Any], default: Any = None) -> None:
        self._answers = dict(answers)
        self._default = default
        self.source = "pool"
        self.urls: list[str] = []

    def _answer(self, url: str, check: Callable[[Any], Any] | None) -> Any:
        self.urls.append(url)
        document = next((doc for part, doc in self._answers.items() if part in url), self._default)
        if check is None:
            return document
        try:
            return check(document)
        except SourceBadResponse as err:  # the same re-wrapping HttpSource does
            raise SourceBadResponse(f"GET {url}: {err}") from err

    async def get_json(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        check: Callable[[Any], Any] | None = None,
    ) -> Any:
        return self._answer(url, check)

    async def post_json(
        self,
        url: str,
        *,
        json_body: Any,
        headers: Mapping[str, str] | None = None,
        check: Callable[[Any], Any] | None = None,
    ) -> Any:
        return self._answer(url, check)

    async def post_form(
        self,
        url: str,
        *,
        form: Mapping[str, str],
        headers: Mapping[str, str] | None = None,
        check: Callable[[Any], Any] | None = None,
    ) -> Any:
        return self._answer(url, check)

    async def get_text(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> str:
        return str(self._answer(url, None))


def run_now(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never really waits (it only awaits :class:`CannedHttp`)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise AssertionError("the coroutine awaited real I/O; CannedHttp never should")
