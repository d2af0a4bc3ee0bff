"""Prometheus exposition: one custom collector over the components' in-memory state.

Components hold state only; every family is built in this package, from the components'
state, doing no I/O, so a scrape never waits on a pool, the chain or the database:
:mod:`collector.metrics.tables` is the one table of which component contributes which
families and what builds them (:mod:`.telemetry`, :mod:`.sources`, :mod:`.accounts`,
:mod:`.reserve`, :mod:`.mining_fee`, :mod:`.service`). The registry is the application's own
(never the global one); it refuses at start a family two sources declare, or one the contract
does not know, as client_python's registry does. The collector adds::

    reservewatch_up 1
    reservewatch_build_info{version="0.1.0"} 1
    reservewatch_scrape_duration_seconds 0.0012   (the previous scrape's collect time)

Every family is built from the one contract (:mod:`collector.metrics.contract`: type, HELP and
labels per name). The families several sources share (:data:`contract.SHARED`: the poller's
targets and telemetry's broker in ``reservewatch_source_up``) are exposed once, their samples
joined, because the text format allows one ``# HELP``/``# TYPE`` block per name.

:func:`render_text` writes the text format 0.0.4 byte for byte as
``prometheus_client.generate_latest`` does, about four times faster (label names are checked
once per name, not once per sample); :func:`render_openmetrics` does the same for
OpenMetrics 1.0.0 (what Prometheus asks for first). ``/metrics`` serves them.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol

from prometheus_client import CollectorRegistry
from prometheus_client.core import Metric
from prometheus_client.openmetrics.exposition import escape_label_name, escape_metric_name
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from collector import __version__
from collector.metrics import contract


class ReservewatchCollector(Collector):
    def __init__(self, sources: Sequence[object]) -> None:
        self._sources: list[NamedSource] = []
        self._declared: dict[str, str] = {}  # family -> the source declaring it
        for source in sources:
            self.add(source)
        self._last_duration_s = 0.0

    def add(self, component: object) -> None:
        """Collect ``component`` too (:func:`named`); refuse a family another source declares
        (but those the contract lets several share) or one the contract does not declare."""
        source = named(component)
        who = source.owner
        for name in source.names:
            if name not in contract.SPECS:
                raise ValueError(f"{who} declares {name}, which the metrics contract does not")
            first = self._declared.get(name)
            if first is not None and name not in contract.SHARED:
                raise ValueError(
                    f"metric family {name} is declared by {first} and by {who}: each family "
                    "has one source (collector.metrics.tables), but those contract.SHARED names"
                )
            self._declared.setdefault(name, who)
        self._sources.append(source)

    def collect(self) -> Iterator[Metric]:
        started = time.perf_counter()
        yield contract.family("reservewatch_up", 1)
        yield contract.info("reservewatch_build", {"version": __version__})
        yield from _merged(self._families())
        yield contract.family("reservewatch_scrape_duration_seconds", self._last_duration_s)
        self._last_duration_s = time.perf_counter() - started

    def _families(self) -> Iterator[Metric]:
        for source in self._sources:
            names = source.names
            for built in source.metric_families():
                if built.name not in names:
                    raise ValueError(
                        f"{source.owner} yields {built.name}, which it does not declare"
                    )
                yield built


def _merged(families: Iterable[Metric]) -> list[Metric]:
    """One family per name, in first-seen order; the samples of a family the contract lets
    several sources share join its first."""
    by_name: dict[str, Metric] = {}
    for family in families:
        known = by_name.get(family.name)
        if known is None:
            by_name[family.name] = family
            continue
        if family.name not in contract.SHARED:
            raise ValueError(f"metric family {family.name} is yielded twice")
        joined = Metric(known.name, known.documentation, known.type, known.unit)
        joined.samples = [*known.samples, *family.samples]
        by_name[family.name] = joined
    return list(by_name.values())


def build_registry(sources: Sequence[object]) -> tuple[CollectorRegistry, ReservewatchCollector]:
    """The application's registry over ``sources``: components with a row in
    :data:`collector.metrics.tables.TABLE`, or sources of this package (their ``NAMES``).
    Refuses at once a family two of them declare (see :meth:`ReservewatchCollector.add`)."""
    registry = CollectorRegistry(auto_describe=False)
    collector = ReservewatchCollector(sources)
    registry.register(collector)
    return registry, collector


class NamedSource(Protocol):
    """What the registry collects: the families a source declares, and the families from its
    in-memory state (no blocking, no I/O)."""

    @property
    def owner(self) -> str: ...

    @property
    def names(self) -> tuple[str, ...]: ...

    def metric_families(self) -> Iterable[Metric]: ...


def named(source: object) -> NamedSource:
    """``source`` through its row of the table, or as it declares itself (``NAMES``)."""
    from collector.metrics.tables import Declared, tabled  # noqa: PLC0415 - the table imports the components

    found = tabled(source)
    if found is not None:
        return found
    names = getattr(source, "NAMES", None)
    families = getattr(source, "metric_families", None)
    if names is None or families is None:
        raise TypeError(
            f"{type(source).__name__} has no row in collector.metrics.tables.TABLE and "
            "declares no NAMES"
        )
    return Declared(type(source).__name__, tuple(names), families)


_TEXT_TYPES = {"counter": "counter", "info": "gauge", "stateset": "gauge"}
_TEXT_TYPES |= {"gaugehistogram": "histogram", "unknown": "untyped"}
_TEXT_SUFFIXES = {"counter": "_total", "info": "_info"}
_OPENMETRICS_ONLY = ("_created", "_gsum", "_gcount")
_LEGACY_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


class ExpositionRenderer:
    """Renders families to text 0.0.4 or OpenMetrics 1.0.0, as prometheus_client does, faster.

    A family object yielded again by a later scrape (telemetry keeps its per-site families
    until a site's state changes) is not rendered again: its text from the previous scrape is
    reused, so such a family must not be changed once yielded. Likewise a `Sample` object
    yielded again in a new family of the same name (telemetry re-makes only the changed
    sites' samples) reuses its line, so samples must not be changed once yielded either.
    Only the families and samples of the previous scrape of each name are kept.
    """

    def __init__(self) -> None:
        self._text: dict[int, tuple[Metric, str]] = {}
        self._openmetrics: dict[int, tuple[Metric, str]] = {}
        self._label_names: dict[str, str] = {}
        self._metric_names: dict[str, str] = {}
        self._valid_names: dict[str, bool] = {}
        # Per family name: id(sample) -> (sample, its line), from the last render of that name.
        self._text_lines: dict[str, dict[int, tuple[Sample, str]]] = {}
        self._openmetrics_lines: dict[str, dict[int, tuple[Sample, str]]] = {}

    def text(self, families: Iterable[Metric]) -> bytes:
        """Text format 0.0.4, byte for byte what ``prometheus_client.generate_latest`` writes."""
        previous, current = self._text, {}
        output: list[str] = []
        for family in families:
            known = previous.get(id(family))
            rendered = known[1] if known is not None and known[0] is family else None
            if rendered is None:
                rendered = self._family_text(family)
            current[id(family)] = (family, rendered)
            output.append(rendered)
        self._text = current
        _keep_names(self._text_lines, current.values())
        return "".join(output).encode("utf-8")

    def openmetrics(self, families: Iterable[Metric]) -> bytes | None:
        """OpenMetrics 1.0.0 (underscore escaping) as prometheus_client writes it, or None.

        None when a family needs what only prometheus_client renders (exemplars, native
        histograms, names outside ``[a-zA-Z_][a-zA-Z0-9_]*``): use it instead.
        """
        previous, current = self._openmetrics, {}
        output: list[str] = []
        for family in families:
            known = previous.get(id(family))
            rendered = known[1] if known is not None and known[0] is family else None
            if rendered is None:
                rendered = self._family_openmetrics(family)
                if rendered is None:
                    return None
            current[id(family)] = (family, rendered)
            output.append(rendered)
        self._openmetrics = current
        _keep_names(self._openmetrics_lines, current.values())
        output.append("# EOF\n")
        return "".join(output).encode("utf-8")

    # -- one family -------------------------------------------------------------------------

    def _metric_name(self, name: str) -> str:
        escaped = self._metric_names.get(name)
        if escaped is None:
            escaped = self._metric_names[name] = escape_metric_name(name)
        return escaped

    def _label_text(self, labels: dict[str, str]) -> str:
        parts = []
        for key, value in sorted(labels.items()):
            name = self._label_names.get(key)
            if name is None:
                name = self._label_names[key] = escape_label_name(key)
            parts.append(f'{name}="{_escape_value(value)}"')
        return "{" + ",".join(parts) + "}"

    def _sample_text(self, sample: Sample) -> str:
        labels = sample.labels
        label_text = self._label_text(labels) if labels else ""
        name = self._metric_name(sample.name)
        value_text = _go_float(float(sample.value))
        if sample.timestamp is None:
            return f"{name}{label_text} {value_text}\n"
        timestamp_ms = int(float(sample.timestamp) * 1000)
        return f"{name}{label_text} {value_text} {timestamp_ms:d}\n"

    def _family_text(self, family: Metric) -> str:
        name = self._metric_name(family.name + _TEXT_SUFFIXES.get(family.type, ""))
        text_type = _TEXT_TYPES.get(family.type, family.type)
        help_text = family.documentation.replace("\\", r"\\").replace("\n", r"\n")
        output = [f"# HELP {name} {help_text}\n# TYPE {name} {text_type}\n"]
        openmetrics_only: dict[str, list[str]] = {}
        special = tuple(family.name + suffix for suffix in _OPENMETRICS_ONLY)
        previous = self._text_lines.get(family.name, {})
        current: dict[int, tuple[Sample, str]] = {}
        for sample in family.samples:
            known = previous.get(id(sample))
            if known is not None and known[0] is sample:
                line = known[1]
            else:
                line = self._sample_text(sample)
            current[id(sample)] = (sample, line)
            if sample.name in special:
                suffix = sample.name[len(family.name) :]
                openmetrics_only.setdefault(suffix, []).append(line)
            else:
                output.append(line)
        self._text_lines[family.name] = current
        for suffix, lines in sorted(openmetrics_only.items()):
            gauge = self._metric_name(family.name + suffix)
            output.append(f"# HELP {gauge} {help_text}\n# TYPE {gauge} gauge\n")
            output.extend(lines)
        return "".join(output)

    def _valid(self, name: str) -> bool:
        known = self._valid_names.get(name)
        if known is None:
            known = self._valid_names[name] = _LEGACY_NAME.fullmatch(name) is not None
        return known

    def _family_openmetrics(self, family: Metric) -> str | None:
        if not self._valid(family.name):
            return None
        help_text = _escape_value(family.documentation)
        output = [f"# HELP {family.name} {help_text}\n# TYPE {family.name} {family.type}\n"]
        if family.unit:
            output.append(f"# UNIT {family.name} {family.unit}\n")
        previous = self._openmetrics_lines.get(family.name, {})
        current: dict[int, tuple[Sample, str]] = {}
        for sample in family.samples:
            known = previous.get(id(sample))
            if known is not None and known[0] is sample:
                line = known[1]
            else:
                fresh = self._sample_openmetrics(sample)
                if fresh is None:
                    return None
                line = fresh
            current[id(sample)] = (sample, line)
            output.append(line)
        self._openmetrics_lines[family.name] = current
        return "".join(output)

    def _sample_openmetrics(self, sample: Sample) -> str | None:
        if sample.exemplar or sample.native_histogram or not self._valid(sample.name):
            return None
        labels = sample.labels
        if labels:
            parts = []
            for key, value in sorted(labels.items()):
                if not self._valid(key):
                    return None
                parts.append(f'{key}="{_escape_value(value)}"')
            label_text = "{" + ",".join(parts) + "}"
        else:
            label_text = ""
        value_text = "" if sample.value is None else _go_float(float(sample.value))
        timestamp = "" if sample.timestamp is None else f" {sample.timestamp}"
        return f"{sample.name}{label_text} {value_text}{timestamp}\n"


def render_text(families: Iterable[Metric]) -> bytes:
    """Text format 0.0.4 of ``families``, as ``generate_latest`` writes it (nothing cached).

    >>> render_text([GaugeMetricFamily("x_watts", "Power.", value=2)])
    b'# HELP x_watts Power.\\n# TYPE x_watts gauge\\nx_watts 2.0\\n'
    """
    return ExpositionRenderer().text(families)


def render_openmetrics(families: Iterable[Metric]) -> bytes | None:
    """OpenMetrics 1.0.0 of ``families`` (see `ExpositionRenderer.openmetrics`), or None."""
    return ExpositionRenderer().openmetrics(families)


def _keep_names(
    lines: dict[str, dict[int, tuple[Sample, str]]], rendered: Iterable[tuple[Metric, str]]
) -> None:
    """Forget the sample lines of family names this scrape did not yield."""
    names = {family.name for family, _ in rendered}
    for name in [name for name in lines if name not in names]:
        del lines[name]


def _go_float(value: float) -> str:
    """A sample value as Go (and ``prometheus_client``) writes it: 1e+06 style past six digits."""
    if math.isfinite(value):
        text = repr(value)
        dot = text.find(".")
        if value > 0 and dot > 6:  # where Go switches to an exponent
            mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
            return f"{mantissa}e+{dot - 1:02d}"
        return text
    if math.isnan(value):
        return "NaN"
    return "+Inf" if value > 0 else "-Inf"


def _escape_value(text: str) -> str:
    if "\\" in text or "\n" in text or '"' in text:
        return text.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return text
