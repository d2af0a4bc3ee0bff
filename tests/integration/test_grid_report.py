"""``reservewatch report grid``: PNG and PDF drawn from a small store, and its errors.

The store holds one simulated day of the demo world (:mod:`simulator.month`, 30-minute
rollups) on each backend; the CLI test runs the real command on SQLite.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from matplotlib.figure import Figure
from PIL import Image
from sqlalchemy import text

from collector.cli import main
from collector.documents.grid_report import (
    A4_INCHES,
    DPI,
    ReportError,
    fit_titles,
    gather_grid_figures,
    left_out_note,
    render_grid_report,
)
from collector.store.queries import Store
from collector.store.records import CurtailmentRecord
from remittance.periods import parse_period_label
from simulator.month import fill_month, month_config, month_config_document
from tests.support.poppler import pdf_word_boxes, pdf_words

pytestmark = pytest.mark.integration

DAY = "2026-10-14"
STEP = timedelta(minutes=30)
CONFIG = month_config("sqlite+aiosqlite:///unused.db")


async def _filled(store: Store, label: str = DAY) -> Store:
    await fill_month(store, parse_period_label(label), step=STEP)
    return store


async def test_png_report_is_an_a4_page(store: Store) -> None:
    png = await render_grid_report(CONFIG, await _filled(store), DAY, ".png")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (int(A4_INCHES[0] * DPI), int(A4_INCHES[1] * DPI))


async def test_pdf_report_is_one_a4_page_with_thousands_separated_axes(
    store: Store, tmp_path: Path
) -> None:
    pdf = await render_grid_report(CONFIG, await _filled(store), DAY, ".pdf")
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    words, info = pdf_words(pdf, tmp_path, layout=True)
    assert "Pages:           1" in info
    assert "595.276 x 841.89 pts (A4)" in info
    assert "Metered mining energy per day" in words
    assert re.search(
        r"^\s*\d,\d{3}\s*$", words, re.MULTILINE
    )  # an axis tick of its own: 2,500 (MWh)


async def test_figures_hold_hourly_load_per_region_under_quota_and_the_national_share(
    store: Store,
) -> None:
    figures = await gather_grid_figures(CONFIG, await _filled(store), parse_period_label(DAY))
    regions = {region.region: region for region in figures.regions}
    assert list(regions) == ["pavlodar", "karaganda", "almaty"]  # largest quota first
    assert regions["pavlodar"].quota_w == 130_000_000
    assert regions["pavlodar"].sites == 3
    for region in figures.regions:
        assert len(region.hourly_w) == 24
        assert 0.85 * region.quota_w < region.peak_w <= region.quota_w
        assert region.hours_over_quota == 0
    (day,) = figures.energy_wh
    assert set(figures.energy_wh[day]) == set(regions)
    assert figures.national_share.keys() == {day}
    assert 0.004 < figures.national_share[day] < 0.01  # ~9 EH/s of ~1 ZH/s, some pointed away
    assert figures.left_out == {}  # every operation has its day's hash rate


async def test_the_share_names_every_operation_and_day_it_leaves_out(store: Store) -> None:
    """almaty-4's OCEAN account has no hash rate for the day: the share counts the others and
    the report says whom and when it leaves out."""
    await _filled(store, "2026-10-14")
    await _filled(store, "2026-10-15")
    [ocean] = [
        p for op in CONFIG.operations if op.id == "almaty-4" for p in op.pools if p.kind == "ocean"
    ]
    async with store.engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM pool_hashrate_days WHERE account = :a AND day = :d"),
            {"a": ocean.account, "d": date(2026, 10, 15)},
        )
    figures = await gather_grid_figures(CONFIG, store, parse_period_label("2026-W42"))
    assert set(figures.national_share) == {date(2026, 10, 14), date(2026, 10, 15)}
    assert figures.left_out == {"almaty-4": (date(2026, 10, 15),)}
    assert left_out_note(figures) == (
        " Partial days (hollow, not in the mean) leave out (no daily pool hash rate): almaty-4"
        " on 1 day (2026-10-15)."
    )
    assert figures.partial_days == (date(2026, 10, 15),)
    assert figures.mean_share == figures.national_share[date(2026, 10, 14)]


async def test_a_day_some_operations_have_not_reported_yet_is_partial_and_not_in_the_mean(
    store: Store, tmp_path: Path
) -> None:
    """The current month: on its last day only karaganda-2's pool has published the day's
    hash rate. Its share (one operation's) is drawn as partial, never averaged with the
    complete days', and the title saying so fits its panel."""
    await _filled(store, "2026-W42")  # 12 to 18 October
    last = date(2026, 10, 18)
    async with store.engine.begin() as connection:
        await connection.execute(
            text("DELETE FROM pool_hashrate_days WHERE day = :d AND operation_id != :o"),
            {"d": last, "o": "karaganda-2"},
        )
    figures = await gather_grid_figures(CONFIG, store, parse_period_label("2026-10"))
    assert figures.partial_days == (last,)
    assert figures.national_share[last] < 0.5 * min(figures.complete_share.values())
    complete = [figures.national_share[last - timedelta(days=n)] for n in range(1, 7)]
    assert figures.mean_share == pytest.approx(sum(complete) / 6)
    assert set(figures.left_out) == {"ekibastuz-1", "pavlodar-3", "almaty-4"}

    pdf = await render_grid_report(CONFIG, store, "2026-10", ".pdf")
    boxes = pdf_word_boxes(pdf, tmp_path)
    page_width = 595.28
    assert all(right <= page_width for _, _, right in boxes)
    text_read = " ".join(word for word, _, _ in boxes)
    mean = f"{figures.mean_share * 100:.2f}"
    assert f"mean {mean} % over 6 complete days; 1 partial day not in it" in text_read
    assert "partial day: some operation not in yet (not in the mean)" in text_read


def test_a_title_too_long_for_its_panel_is_wrapped_inside_it() -> None:
    figure = Figure(figsize=A4_INCHES)
    axis = figure.subplots()
    words = " ".join(f"operation-{n}" for n in range(40))
    axis.set_title(words, loc="left")
    fit_titles(figure, [axis])
    lines = axis.get_title(loc="left").splitlines()
    assert len(lines) > 2
    assert " ".join(lines) == words


async def test_curtailment_orders_are_clipped_to_the_period_and_lifted_ones_end(
    store: Store,
) -> None:
    start = datetime(2026, 10, 14, tzinfo=UTC)
    await store.record_curtailment(
        CurtailmentRecord("almaty", start - timedelta(hours=2), 15_000_000, None, None)
    )
    await store.record_curtailment(
        CurtailmentRecord(
            "karaganda",
            start + timedelta(hours=6),
            30_000_000,
            start + timedelta(hours=12),
            start + timedelta(hours=8),
        )
    )
    figures = await gather_grid_figures(CONFIG, store, parse_period_label(DAY))
    caps = {region.region: region.caps for region in figures.regions}
    assert [(cap.start, cap.end) for cap in caps["almaty"]] == [(start, start + timedelta(days=1))]
    assert [(cap.start, cap.end, cap.max_power_w) for cap in caps["karaganda"]] == [
        (start + timedelta(hours=6), start + timedelta(hours=8), 30_000_000)
    ]
    assert caps["pavlodar"] == ()


async def test_an_empty_store_still_draws_a_report(store: Store) -> None:
    png = await render_grid_report(CONFIG, store, "2026-10", ".png")
    assert Image.open(io.BytesIO(png)).format == "PNG"


@pytest.mark.parametrize("label", ["2026-13", "October", "2026-02-30", ""])
async def test_a_period_that_names_no_period_is_a_report_error(store: Store, label: str) -> None:
    with pytest.raises(ReportError, match="period label"):
        await render_grid_report(CONFIG, store, label, ".png")


@pytest.mark.parametrize("suffix", [".jpg", ".svg", ""])
async def test_a_suffix_other_than_png_or_pdf_is_a_report_error(store: Store, suffix: str) -> None:
    with pytest.raises(ReportError, match=r"\.png or \.pdf"):
        await render_grid_report(CONFIG, store, DAY, suffix)


# Issue 30, item 2: the report in Kazakh, Russian and English, whole inside the A4 page.
GRID_LABELS = {
    "en": ["reservewatch grid report — 2026-10 (October 1, 2026 to October 31, 2026, UTC)",
           "pavlodar: 3 sites, quota 130 MW", "Metered mining energy per day, by region",
           "National hash-rate share (watched operations ÷ network)", "% of network", "4,000"],
    "kk": ["reservewatch энергожүйе есебі — 2026-10 (2026 ж. 1 қазан – 2026 ж. 31 қазан, UTC)",
           "pavlodar: 3 алаң, квота 130 МВт", "Күн сайынғы өлшенген майнинг энергиясы",
           "Ұлттық хешрейт үлесі (бақыланатын операциялар ÷ желі)", "желінің %",
           "жүктеме (сағаттық орташа)", "МВт·сағ"],
    "ru": ["Отчёт reservewatch по энергосистеме — 2026-10 (с 1 октября 2026 г. по 31 октября "
           "2026 г., UTC)", "pavlodar: площадок: 3, квота 130 МВт",
           "Измеренная энергия майнинга по дням и регионам",
           "Национальная доля хешрейта (наблюдаемые операции ÷ сеть)", "% сети",
           "нагрузка (среднечасовая)", "МВт·ч"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
async def test_the_report_reads_in_each_language_and_every_word_lies_inside_the_page(
    store: Store, tmp_path: Path, language: str
) -> None:
    """Russian's title is the widest: it wraps rather than running off both sides."""
    pdf = await render_grid_report(CONFIG, await _filled(store), "2026-10", ".pdf", language)
    boxes = pdf_word_boxes(pdf, tmp_path)
    assert all(left >= 0 and right <= 595.28 for _, left, right in boxes)
    read = [word for word, _, _ in boxes]
    joined = "".join(read)  # poppler splits some words at a kerned or no-break space
    for label in GRID_LABELS[language]:
        assert "".join(label.split()) in joined, (language, label)
    if language != "en":
        assert not {"quota", "MW", "network", "telemetry", "Source:"} & set(read)


def test_report_grid_command_writes_the_png_and_rejects_a_bad_suffix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config_path = tmp_path / "config.yaml"
    document = month_config_document(f"sqlite+aiosqlite:///{tmp_path}/reservewatch.db")
    config_path.write_text(yaml.safe_dump(document))
    out = tmp_path / "grid.png"
    argv = ["report", "grid", "--config", str(config_path), "--period", DAY]

    assert main([*argv, "--out", str(out)]) == 0
    with Image.open(out) as image:
        assert image.format == "PNG"
    russian = tmp_path / "grid.pdf"
    assert main([*argv, "--out", str(russian), "--lang", "ru"]) == 0
    words, _info = pdf_words(russian.read_bytes(), tmp_path)
    assert "Отчёт reservewatch по энергосистеме" in words

    assert main([*argv, "--out", str(tmp_path / "grid.jpg")]) != 0
    assert ".png or .pdf, not .jpg" in capsys.readouterr().err
    assert not (tmp_path / "grid.jpg").exists()


async def test_the_demos_history_fills_every_hour_of_its_story_months_grid_report(
    tmp_path: Path,
) -> None:
    from collector.clock import FrozenClock
    from collector.config.load import load_config
    from collector.store.database import open_engine
    from simulator.runner import _fill_history
    from simulator.world import DemoHistory, history_start, story_period
    from tests.support.demo_world import PINNED_INSTANTS

    now = PINNED_INSTANTS["first-of-month"]
    path = tmp_path / "config.yaml"
    path.write_text(
        yaml.safe_dump(month_config_document(f"sqlite+aiosqlite:///{tmp_path}/demo.db"))
    )
    await _fill_history(path, FrozenClock(now), history_start(now), DemoHistory())
    config = load_config(path)
    period = story_period(now)
    async with Store(open_engine(config.database)) as store:
        figures = await gather_grid_figures(config, store, period)
        orders = [o for o in await store.curtailments() if period.contains(o.issued_at.date())]
    hours = len(list(period.days())) * 24
    assert {region.region: len(region.hourly_w) for region in figures.regions} == {
        "pavlodar": hours,
        "karaganda": hours,
        "almaty": hours,
    }
    assert sorted(figures.energy_wh) == list(period.days())
    assert {o.region for o in orders} == {"karaganda", "almaty"}
