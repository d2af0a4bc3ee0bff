"""``reservewatch report grid``: the figures an energy regulator asks for, as PNG or PDF.

From the store alone, for one period (``2026-10``, ``2026-W43`` or ``2026-10-05``):

* per region, the mining load (hourly averages of the telemetry rollups) against the region's
  quota, with the grid operator's curtailment orders drawn as shaded spans and their caps;
  each panel's title gives the peak load and the hours spent over quota;
* metered mining energy per day, stacked by region;
* the national hash-rate share per day: the watched operations' pool-reported hash rate ÷
  the network's, with its 7-day mean. An operation counts on a day only when every pool
  account of it has that day's hash rate (the accounts' rule,
  :mod:`collector.accounts.pool_days`). A day on which some operation does not count yet (the
  current month's last day, before every pool has published it) is *partial*: drawn hollow
  and left out of the mean and the 7-day mean, so 1 operation's 0.19 % never pulls down
  4 operations' 0.84 %; the report names every operation and day the share leaves out.

Grafana shows the same live; this is the picture to attach to a report, or to look at where
Grafana is not available. Its words are Kazakh, Russian or English (:mod:`remittance.i18n`:
the catalogues' words, the language's number separators and dates; DejaVu Sans, matplotlib's
own font, has every Kazakh letter)::

    png = await render_grid_report(config, store, "2026-10", ".png", language="kk")
"""

from __future__ import annotations

import io
import sys
import textwrap
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure  # not pyplot: no global figure state, no display
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter

from collector.accounts.pool_days import daily_hashrates
from collector.config.model import Config
from collector.errors import OutputError, ReservewatchError
from collector.store.queries import Store, open_store
from remittance.errors import RemittanceError
from remittance.i18n import Wording, wording
from remittance.pdf import N_
from remittance.periods import Period, parse_period_label

SUFFIXES = (".png", ".pdf")
REGION_COLORS = ("#4c72b0", "#dd8452", "#55a868", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")
CAP_COLOR = "#c44e52"
SHARE_COLOR = "#c44e52"
DPI = 110
A4_INCHES = (
    210 / 25.4,
    297 / 25.4,
)  # 595.28 × 841.89 pt: a page to print or attach, like a statement


class ReportError(ReservewatchError):
    """The report cannot be drawn (bad period or format)."""


@dataclass(frozen=True, slots=True)
class CapSpan:
    """A curtailment order in force over ``[start, end)`` capping its region at ``max_power_w``."""

    start: datetime
    end: datetime
    max_power_w: int


@dataclass(frozen=True, slots=True)
class RegionLoad:
    """One region's hourly load and quota over the period."""

    region: str
    sites: int
    quota_w: int
    hourly_w: tuple[tuple[datetime, float], ...]
    caps: tuple[CapSpan, ...] = ()

    @property
    def peak_w(self) -> float:
        return max((power for _hour, power in self.hourly_w), default=0.0)

    @property
    def hours_over_quota(self) -> int:
        return sum(power > self.quota_w for _hour, power in self.hourly_w)


@dataclass(frozen=True, slots=True)
class GridFigures:
    """Everything the report draws, read from the store (see :func:`gather_grid_figures`)."""

    period: Period
    regions: tuple[RegionLoad, ...]
    energy_wh: dict[date, dict[str, int]] = field(default_factory=dict)  # day -> region -> Wh
    national_share: dict[date, float] = field(default_factory=dict)  # day -> ratio
    left_out: dict[str, tuple[date, ...]] = field(default_factory=dict)  # operation -> days

    @property
    def partial_days(self) -> tuple[date, ...]:
        """The days whose share leaves some operation out: drawn, never in a mean."""
        return tuple(sorted({day for days in self.left_out.values() for day in days}))

    @property
    def complete_share(self) -> dict[date, float]:
        """The share of the days on which every operation counts."""
        partial = set(self.partial_days)
        return {day: share for day, share in self.national_share.items() if day not in partial}

    @property
    def mean_share(self) -> float | None:
        """The mean share over the complete days (``None``: there is none)."""
        complete = self.complete_share
        return sum(complete.values()) / len(complete) if complete else None


def parse_report_request(period: str, suffix: str) -> Period:
    """The period named by ``period``, once ``suffix`` is known to be drawable."""
    if suffix not in SUFFIXES:
        raise ReportError(
            f"the grid report is written as .png or .pdf, not {suffix or 'a file without suffix'}"
        )
    try:
        return parse_period_label(period)
    except RemittanceError as err:
        raise ReportError(str(err)) from err


async def gather_grid_figures(
    config: Config, store: Store, span: Period, as_of: datetime | None = None
) -> GridFigures:
    """Read the period's rollups, curtailment orders, pool and network hash rate; the hash
    rates as last seen or, with ``as_of``, as known then (each day's latest revision)."""
    region_of = {site.id: site.region for op in config.operations for site in op.sites}
    quota: defaultdict[str, int] = defaultdict(int)
    sites: defaultdict[str, int] = defaultdict(int)
    for op in config.operations:
        for site in op.sites:
            quota[site.region] += site.power_quota_w
            sites[site.region] += 1
    load: defaultdict[str, defaultdict[datetime, float]] = defaultdict(lambda: defaultdict(float))
    energy: defaultdict[date, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
    for site_id, hour, power_w, energy_wh in await store.hourly_power(
        region_of, span.start_at, span.end_at
    ):
        load[region_of[site_id]][hour] += power_w
        energy[hour.date()][region_of[site_id]] += energy_wh
    caps: defaultdict[str, list[CapSpan]] = defaultdict(list)
    for order in await store.curtailments():
        ends = [moment for moment in (order.until, order.lifted_at) if moment is not None]
        end = min([*ends, span.end_at])
        start = max(order.issued_at, span.start_at)
        if order.max_power_w is not None and start < end:
            caps[order.region].append(CapSpan(start, end, order.max_power_w))
    network = {
        day.day: day.hashrate_hs
        for day in await store.network_days(span.start, span.end, as_of=as_of)
    }
    watched: defaultdict[date, float] = defaultdict(float)
    counted: defaultdict[date, set[str]] = defaultdict(set)
    rows = [
        r for r in await store.pool_hashrate_days(as_of=as_of) if span.start <= r.day < span.end
    ]
    for operation_id, days in daily_hashrates(config, rows).items():
        for day in days:
            if not day.covered:  # averaged from too few samples: left out, as from expected
                continue
            watched[day.day] += float(day.hashrate_hs)
            counted[day.day].add(operation_id)
    share = {day: hs / network[day] for day, hs in watched.items() if network.get(day)}
    left_out = {
        op.id: missing
        for op in config.operations
        if op.pools and (missing := tuple(d for d in sorted(share) if op.id not in counted[d]))
    }
    regions = tuple(
        RegionLoad(
            region=region,
            sites=sites[region],
            quota_w=quota[region],
            hourly_w=tuple(sorted(load.get(region, {}).items())),
            caps=tuple(sorted(caps.get(region, []), key=lambda cap: cap.start)),
        )
        for region in sorted(quota, key=lambda name: (-quota[name], name))
    )
    return GridFigures(
        period=span,
        regions=regions,
        energy_wh={day: dict(by_region) for day, by_region in energy.items()},
        national_share=share,
        left_out=left_out,
    )


def _x(moment: datetime) -> float:
    """A moment as matplotlib's date number (its typed API takes floats)."""
    return float(mdates.date2num(moment))  # type: ignore[no-untyped-call]


def _noon(day: date) -> float:
    return _x(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


def _format_time_axis(axis: Axes, span: Period) -> None:
    axis.set_xlim(_x(span.start_at), _x(span.end_at))
    days = (span.end - span.start).days
    if days <= 1:
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))  # type: ignore[no-untyped-call]
    else:
        axis.xaxis.set_major_locator(mdates.DayLocator(interval=max(1, days // 10)))  # type: ignore[no-untyped-call]
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
    axis.grid(alpha=0.3)


SITES = (N_("{region}: {count} site, quota {quota} MW"),
         N_("{region}: {count} sites, quota {quota} MW"))  # fmt: skip
ORDERS = (N_("{count} curtailment order"), N_("{count} curtailment orders"))
MEAN = (N_("mean {mean} % over {count} complete day"),
        N_("mean {mean} % over {count} complete days"))  # fmt: skip
PARTIAL_DAYS = (N_("{count} partial day not in it"), N_("{count} partial days not in it"))
LEFT_OUT = (N_("{operation} on {count} day ({days})"), N_("{operation} on {count} days ({days})"))


def _counted(w: Wording, forms: tuple[str, str], count: int, **values: object) -> str:
    """The first (one) or second (more, or none) of English ``forms`` by ``count``; the
    catalogues word both so that Kazakh and Russian need no plural forms."""
    return w.text(forms[0] if count == 1 else forms[1], count=count, **values)


def _decimal(value: float, digits: int) -> Decimal:
    """A drawn figure (a float from the plot's arithmetic) as the Decimal the words format."""
    return Decimal(repr(round(value, digits)))


def _region_title(w: Wording, region: RegionLoad) -> str:
    quota_mw = Decimal(region.quota_w) / 1_000_000
    parts = [
        _counted(w, SITES, region.sites, region=region.region, quota=w.decimal(quota_mw, 0))
    ]  # fmt: skip
    if region.quota_w:
        parts.append(
            w.text(
                "peak {peak} MW ({share} of quota)",
                peak=w.decimal(_decimal(region.peak_w / 1e6, 1), 1),
                share=w.percent(_decimal(region.peak_w / region.quota_w, 2)),
            )
        )
    hours = w.text("{hours} h over quota", hours=region.hours_over_quota)
    if region.caps:
        hours += ", " + _counted(w, ORDERS, len(region.caps))
    return " — ".join(parts) + ", " + hours if len(parts) > 1 else f"{parts[0]} — {hours}"


def _draw_region(axis: Axes, region: RegionLoad, color: str, span: Period, w: Wording) -> None:
    quota_mw = region.quota_w / 1e6
    for cap in region.caps:
        axis.axvspan(_x(cap.start), _x(cap.end), color=CAP_COLOR, alpha=0.12, linewidth=0)
        axis.hlines(
            cap.max_power_w / 1e6,
            _x(cap.start),
            _x(cap.end),
            colors=CAP_COLOR,
            linewidth=1.5,
        )
    if region.hourly_w:
        axis.plot(
            [_x(hour) for hour, _power in region.hourly_w],
            [power / 1e6 for _hour, power in region.hourly_w],
            color=color,
            linewidth=1.1,
            label=w.text("load (hourly average)"),
        )
    else:
        axis.text(0.5, 0.5, w.text("no telemetry stored"), ha="center", transform=axis.transAxes)
    axis.axhline(quota_mw, linestyle="--", color="black", linewidth=1, label=w.text("quota"))
    if region.caps:
        axis.plot([], [], color=CAP_COLOR, linewidth=1.5,
                  label=w.text("curtailment cap (shaded: order)"))  # fmt: skip
    axis.set_ylim(0, quota_mw * 1.15)
    axis.set_ylabel(w.text("MW"))
    axis.set_title(_region_title(w, region), fontsize=10, loc="left")
    axis.legend(loc="lower left", fontsize=6, ncol=3, framealpha=0.9)
    _format_time_axis(axis, span)


def _draw_energy(axis: Axes, figures: GridFigures, colors: dict[str, str], w: Wording) -> None:
    days = sorted(figures.energy_wh)
    bottom = [0.0] * len(days)
    for region in figures.regions:
        heights = [figures.energy_wh[day].get(region.region, 0) / 1e6 for day in days]
        axis.bar(
            [_noon(d) for d in days],
            heights,
            width=0.8,
            bottom=bottom,
            color=colors[region.region],
            label=region.region,
        )
        bottom = [low + height for low, height in zip(bottom, heights, strict=True)]
    total_mwh = sum(bottom)
    axis.set_ylabel(w.text("MWh"))
    axis.set_title(
        w.text(
            "Metered mining energy per day, by region — {total} MWh in the period",
            total=w.decimal(_decimal(total_mwh, 0), 0),
        ),
        fontsize=10,
        loc="left",
    )
    if days:
        axis.legend(loc="lower left", fontsize=6, ncol=len(figures.regions), framealpha=0.9)
    else:
        axis.text(0.5, 0.5, w.text("no telemetry stored"), ha="center", transform=axis.transAxes)
    _format_time_axis(axis, figures.period)


def weekly_means(share: dict[date, float]) -> dict[date, float]:
    """Per day of ``share``, the mean of its days within the 7 calendar days ending on it."""
    return {
        day: sum(window) / len(window)
        for day in share
        if (window := [v for d, v in share.items() if timedelta(0) <= day - d < timedelta(7)])
    }


PARTIAL_LABEL = N_("partial day: some operation not in yet (not in the mean)")


def _share_title(w: Wording, figures: GridFigures, complete: int, partial: int) -> str:
    title = w.text("National hash-rate share (watched operations ÷ network)")
    mean = figures.mean_share
    if mean is None:
        title += " — " + w.text("no complete day")
    else:
        title += " — " + _counted(w, MEAN, complete, mean=w.decimal(_decimal(mean * 100, 2), 2))
    if partial:
        title += "; " + _counted(w, PARTIAL_DAYS, partial)
    return title


def _draw_share(axis: Axes, figures: GridFigures, w: Wording) -> None:
    complete = dict(sorted(figures.complete_share.items()))
    partial = {day: figures.national_share[day] for day in figures.partial_days}
    percent = [share * 100 for share in figures.national_share.values()]
    axis.plot([_noon(d) for d in complete], [v * 100 for v in complete.values()], marker="o",
              markersize=3, linewidth=0.8, color=SHARE_COLOR, alpha=0.6,
              label=w.text("daily"))  # fmt: skip
    if partial:
        axis.plot([_noon(d) for d in partial], [v * 100 for v in partial.values()], marker="o",
                  markersize=4, linestyle="none", markerfacecolor="none", color="#555555",
                  label=w.text(PARTIAL_LABEL))  # fmt: skip
    if len(complete) >= 7:
        weekly = weekly_means(complete)
        axis.plot([_noon(d) for d in weekly], [v * 100 for v in weekly.values()], linewidth=2,
                  color=SHARE_COLOR, label=w.text("7-day mean"))  # fmt: skip
    if percent:
        axis.set_ylim(0, max(percent) * 1.25)
        axis.legend(loc="lower left", fontsize=6, ncol=3, framealpha=0.9)
        title = _share_title(w, figures, len(complete), len(partial))
    else:
        axis.text(0.5, 0.5, w.text("no pool or network hash rate stored"), ha="center",
                  transform=axis.transAxes)  # fmt: skip
        title = w.text("National hash-rate share (watched operations ÷ network)")
    axis.set_ylabel(w.text("% of network"))
    axis.set_title(title, fontsize=10, loc="left")
    _format_time_axis(axis, figures.period)


def left_out_note(figures: GridFigures, w: Wording | None = None) -> str:
    """Which operations and days the national share leaves out (no daily hash rate), in
    ``w``'s language (English by default: the command's own message)."""
    if not figures.left_out:
        return ""
    w = w or wording("en")
    parts = [
        _counted(w, LEFT_OUT, len(days), operation=operation, days=_day_ranges(days))
        for operation, days in sorted(figures.left_out.items())
    ]  # fmt: skip
    return " " + w.text(
        "Partial days (hollow, not in the mean) leave out (no daily pool hash rate): {list}.",
        list="; ".join(parts),
    )


def _day_ranges(days: tuple[date, ...]) -> str:
    """2026-11-01–2026-11-03, 2026-11-07: consecutive days joined."""
    ranges: list[tuple[date, date]] = []
    for day in days:
        if ranges and day == ranges[-1][1] + timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ", ".join(
        first.isoformat() if first == last else f"{first.isoformat()}–{last.isoformat()}"
        for first, last in ranges
    )


TITLE_POINTS = 7.5


def fit_titles(figure: Figure, axes: Iterable[Axes]) -> None:
    """Set each panel's title (drawn on the left) in :data:`TITLE_POINTS` and wrap it onto as
    many lines as it needs to end where its panel ends, inside the page (its rendered width
    measured, not guessed from a character count)."""
    renderer = FigureCanvasAgg(figure).get_renderer()  # type: ignore[no-untyped-call]
    for axis in axes:
        right = axis.get_window_extent(renderer).x1  # ends where its panel ends
        text = " ".join(axis.get_title(loc="left").split())
        title = axis.set_title(text, loc="left", fontsize=TITLE_POINTS)
        width = len(text)
        while width > 20 and title.get_window_extent(renderer).x1 > right:
            width -= 4
            title.set_text(textwrap.fill(text, width, break_on_hyphens=False))


def fit_suptitle(figure: Figure, title: Text) -> None:
    """Wrap the page's title onto as many lines as it needs to lie inside the page, with a
    margin of 5 % a side (the longest language's words are the widest, e.g. Russian's)."""
    renderer = FigureCanvasAgg(figure).get_renderer()  # type: ignore[no-untyped-call]
    text = " ".join(title.get_text().split())
    width = len(text)
    while width > 20 and title.get_window_extent(renderer).width > 0.9 * figure.bbox.width:
        width -= 4
        title.set_text(textwrap.fill(text, width, break_on_hyphens=False))


def _thousands(w: Wording) -> FuncFormatter:
    """Axis ticks with the language's thousands separator (1,200 or 1 200 MWh), and no more
    decimals than a tick has."""
    return FuncFormatter(lambda value, _position: w.number(Decimal(f"{value:.10g}")))


def draw_grid_report(figures: GridFigures, suffix: str, language: str = "en") -> bytes:
    """The report as PNG or PDF bytes (``suffix`` is ``.png`` or ``.pdf``) in ``language``."""
    w = wording(language)
    regions = figures.regions
    colors = {
        region.region: REGION_COLORS[i % len(REGION_COLORS)] for i, region in enumerate(regions)
    }
    ratios = [1.6] * len(regions) + [1.8, 1.6]
    figure = Figure(figsize=A4_INCHES)
    axes = figure.subplots(len(ratios), 1, gridspec_kw={"height_ratios": ratios})
    start, end = figures.period.start, figures.period.end - timedelta(days=1)
    title = figure.suptitle(
        w.text(
            "reservewatch grid report — {period} ({start} to {end}, UTC)",
            period=figures.period.label, start=w.day(start), end=w.day(end),
        ),
        fontsize=11,
        fontweight="bold",
    )  # fmt: skip
    fit_suptitle(figure, title)
    for axis, region in zip(axes, regions, strict=False):
        _draw_region(axis, region, colors[region.region], figures.period, w)
    _draw_energy(axes[len(regions)], figures, colors, w)
    _draw_share(axes[len(regions) + 1], figures, w)
    for axis in axes:
        axis.yaxis.set_major_formatter(_thousands(w))
        axis.tick_params(labelsize=7)
    figure.text(
        0.01,
        0.003,
        w.text(
            "Source: reservewatch store — site telemetry rollups, curtailment orders, "
            "pool-reported and network hash rate."
        )
        + left_out_note(figures, w),
        fontsize=5.5,
        color="#555555",
        wrap=True,
    )
    figure.tight_layout(rect=(0, 0.015, 1, 0.985))
    fit_titles(figure, axes)
    figure.tight_layout(rect=(0, 0.015, 1, 0.985))  # again: a wrapped title is taller
    buffer = io.BytesIO()
    metadata = {"Software": None} if suffix == ".png" else {"Creator": None, "Producer": None}
    figure.savefig(buffer, format=suffix.removeprefix("."), dpi=DPI, metadata=metadata)
    return buffer.getvalue()


async def render_grid_report(
    config: Config, store: Store, period: str, suffix: str, language: str = "en"
) -> bytes:
    """The grid report of ``period`` as ``.png`` or ``.pdf`` bytes, in ``language``.

    Raises :class:`ReportError` for a period label that names no period or another suffix.
    """
    data, _ = await grid_report(config, store, period, suffix, language)
    return data


async def grid_report(
    config: Config, store: Store, period: str, suffix: str, language: str = "en"
) -> tuple[bytes, GridFigures]:
    """Like :func:`render_grid_report`, with the figures drawn (what the share leaves out…)."""
    span = parse_report_request(period, suffix)
    if not config.operations or not any(op.sites for op in config.operations):
        raise ReportError("the configuration has no sites: a grid report needs at least one")
    figures = await gather_grid_figures(config, store, span)
    return draw_grid_report(figures, suffix, language), figures


async def write_grid_report(config: Config, period: str, out: Path, language: str = "en") -> int:
    async with open_store(config.database) as store:
        data, figures = await grid_report(config, store, period, out.suffix.lower(), language)
    try:
        out.write_bytes(data)  # noqa: ASYNC240 - one small write after the work is done
    except OSError as err:
        raise OutputError(f"cannot write {out}: {err.strerror or err}") from err
    print(f"wrote {out} ({len(data)} bytes).{left_out_note(figures)}", file=sys.stderr)
    return 0
