"""``reservewatch report grid``: the figures an energy regulator asks for, as PNG or PDF.

From the store alone: mining load per region against its quota (hourly averages of the
telemetry rollups), metered energy per day, and the national hash-rate share per day (the
watched operations' pool-reported hash rate ÷ the network's). Grafana shows the same live;
this is the picture to attach to a report or to look at where Grafana is not available.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, datetime

import matplotlib.dates as mdates
from matplotlib.figure import Figure  # not pyplot: no global figure state, no display

from collector.config import Config
from collector.errors import ReservewatchError
from collector.store.queries import Store
from remittance.errors import RemittanceError
from remittance.periods import parse_period_label


class ReportError(ReservewatchError):
    """The report cannot be drawn (bad period or format)."""


async def render_grid_report(config: Config, store: Store, period: str, suffix: str) -> bytes:
    if suffix not in (".png", ".pdf"):
        raise ReportError(f"the report is written as .png or .pdf, not {suffix or 'no suffix'}")
    try:
        span = parse_period_label(period)
    except RemittanceError as err:
        raise ReportError(str(err)) from err
    region_of = {site.id: site.region for op in config.operations for site in op.sites}
    quota: defaultdict[str, int] = defaultdict(int)
    for op in config.operations:
        for site in op.sites:
            quota[site.region] += site.power_quota_w
    hourly = await store.hourly_power(region_of, span.start_at, span.end_at)
    load: defaultdict[str, defaultdict[datetime, float]] = defaultdict(lambda: defaultdict(float))
    energy_per_day: defaultdict[date, int] = defaultdict(int)
    for site_id, hour, power_w, energy_wh in hourly:
        load[region_of[site_id]][hour] += power_w
        energy_per_day[hour.date()] += energy_wh
    share: dict[date, float] = {}
    network = {d.day: d.hashrate_hs for d in await store.network_days(span.start, span.end)}
    watched: defaultdict[date, float] = defaultdict(float)
    for row in await store.pool_hashrate_days():
        if span.contains(row.day):
            watched[row.day] += row.hashrate_hs
    for day, hashrate in watched.items():
        if network.get(day):
            share[day] = hashrate / network[day]

    figure = Figure(figsize=(11, 12))
    ax_load, ax_energy, ax_share = figure.subplots(
        3, 1, gridspec_kw={"height_ratios": [3, 1.5, 1.5]}
    )
    figure.suptitle(f"reservewatch grid report — {period} (UTC)", fontsize=14)
    for region in sorted(quota):
        points = sorted(load.get(region, {}).items())
        line = ax_load.plot(
            [p[0] for p in points], [p[1] / 1e6 for p in points], label=f"{region} load"
        )
        ax_load.axhline(
            quota[region] / 1e6,
            linestyle="--",
            color=line[0].get_color(),
            label=f"{region} quota {quota[region] / 1e6:.0f} MW",
        )
    ax_load.set_ylabel("MW (hourly average)")
    ax_load.set_title("Mining load per region vs quota")
    ax_load.legend(loc="upper left", fontsize=8, ncol=2)
    ax_load.grid(alpha=0.3)
    days = sorted(energy_per_day)
    ax_energy.bar(days, [energy_per_day[d] / 1e6 for d in days], color="#4c72b0")
    ax_energy.set_ylabel("MWh")
    ax_energy.set_title("Metered mining energy per day")
    ax_energy.grid(alpha=0.3, axis="y")
    share_days = sorted(share)
    ax_share.plot(share_days, [share[d] * 100 for d in share_days], marker="o", color="#c44e52")
    ax_share.set_ylabel("% of network")
    ax_share.set_title("National hash-rate share (watched operations ÷ network)")
    ax_share.grid(alpha=0.3)
    for axis in (ax_load, ax_energy, ax_share):
        axis.set_xlim(span.start_at, span.end_at)
        axis.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))  # type: ignore[no-untyped-call]
    if not hourly:
        ax_load.text(
            0.5,
            0.5,
            "no telemetry stored for this period",
            ha="center",
            transform=ax_load.transAxes,
        )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format=suffix.removeprefix("."), dpi=110)
    return buffer.getvalue()
