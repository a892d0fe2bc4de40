"""medfund.plot.fan: the chart of `medfund simulate --svg` drawn by matplotlib
from the projection frame — the drawn data are the frame's figures."""

from __future__ import annotations

import pathlib
import tomllib

import matplotlib
import pytest

import medfund
import medfund.plot
from conftest import EXAMPLES

matplotlib.use("Agg")

PROJECTION = EXAMPLES / "projection.toml"


def projection(levy: str | None = None, *, money: str = "decimal", quartiles: bool = True):
    doc = tomllib.loads(PROJECTION.read_text(encoding="utf-8"))
    doc["projection"]["trials"] = 2000
    if quartiles:
        doc["projection"]["quantiles"] = [25, 75]
    if levy is not None:
        doc["riskpool"]["policy"]["levy_rate"] = levy
    return medfund.simulate(doc, money=money)


def yuan(frame, scheme: str, column: str) -> list[float]:
    return [float(v) for v in frame[frame["scheme"] == scheme].sort_values("year")[column]]


def line(ax, label: str):
    [found] = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return found


def test_the_drawn_lines_and_bands_are_the_frames_figures():
    frame = projection()
    fig = medfund.plot.fan(frame)
    axes = fig.get_axes()
    assert len(axes) == 4  # employee and resident, balance and risk each
    for i, scheme in enumerate(["employee", "resident"]):
        balance, risk = axes[2 * i], axes[2 * i + 1]
        assert balance.get_title() == f"{scheme} · closing balance of the risk fund"
        assert list(line(balance, "p50").get_ydata()) == pytest.approx(yuan(frame, scheme, "p50"))
        assert list(line(risk, "by that year").get_ydata()) == pytest.approx(yuan(frame, scheme, "p_review_cumulative"))
        assert list(line(risk, "that year").get_ydata()) == pytest.approx(yuan(frame, scheme, "p_actuarial_review"))
        # The bands' outlines run through p95 (and p75) above and p5 (and p25) below.
        bands = {c.get_label(): c for c in balance.collections}
        for label, lower, upper in (("p5–p95", "p5", "p95"), ("p25–p75", "closing_p25", "closing_p75")):
            ys = {round(float(y), 2) for _, y in bands[label].get_paths()[0].vertices}
            for v in yuan(frame, scheme, lower) + yuan(frame, scheme, upper):
                assert round(v, 2) in ys, (label, v)
        bottom, top = balance.get_ylim()
        assert bottom <= min(yuan(frame, scheme, "p5")) and top >= max(yuan(frame, scheme, "p95"))
        assert risk.get_ylim()[1] >= max(yuan(frame, scheme, "p_review_cumulative"))
    caption = fig.get_supxlabel()
    assert "2000 trials, seed 42" in caption and "p25–p75" in caption


def test_against_draws_the_base_in_grey_on_the_same_axes():
    base, variant = projection(), projection("15%")
    fig = medfund.plot.fan(variant, against=base, against_name="current policy")
    balance, risk = fig.get_axes()[:2]
    assert list(line(balance, "p50").get_ydata()) == pytest.approx(yuan(variant, "employee", "p50"))
    assert list(line(balance, "base p50").get_ydata()) == pytest.approx(yuan(base, "employee", "p50"))
    assert yuan(base, "employee", "p50") != yuan(variant, "employee", "p50")
    outline = list(line(balance, "base p5–p95").get_ydata())
    assert outline[: len(outline) // 2] == pytest.approx(yuan(base, "employee", "p95"))
    assert list(line(risk, "base by that year").get_ydata()) == pytest.approx(
        yuan(base, "employee", "p_review_cumulative")
    )
    assert "Grey: base current policy (2000 trials, seed 42)" in fig.get_supxlabel()


# With the bundled font no glyph is missing, CJK fonts installed or not.
@pytest.mark.filterwarnings("error:Glyph .* missing from font")
def test_fen_frames_draw_the_same_yuan_and_chinese_words(tmp_path):
    fig = medfund.plot.fan(projection(money="fen", quartiles=False), lang="zh", same_scale=True)
    decimal = projection(quartiles=False)
    balance = fig.get_axes()[0]
    assert list(line(balance, "p50").get_ydata()) == pytest.approx(yuan(decimal, "employee", "p50"))
    assert balance.get_title() == "城镇职工 · 风险共济金年末余额"
    assert "p25–p75" not in {c.get_label() for c in balance.collections}
    # One scale for both schemes when asked.
    assert fig.get_axes()[0].get_ylim() == fig.get_axes()[2].get_ylim()
    fig.savefig(tmp_path / "fan.png")
    assert (tmp_path / "fan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_axis_labels_in_wan_and_yi_or_millions():
    assert medfund.plot.yuan_label(35_000_000) == "3500万"
    assert medfund.plot.yuan_label(125_000_000) == "1.25亿"
    assert medfund.plot.yuan_label(200_000_000) == "2亿"
    assert medfund.plot.yuan_label(950) == "950"
    assert medfund.plot.yuan_label(35_000_000, "million") == "35m"
    assert medfund.plot.yuan_label(1_250_000_000, "million") == "1,250m"


def test_frames_that_are_not_projections_are_refused():
    frame = projection(quartiles=False)
    with pytest.raises(ValueError, match="lang"):
        medfund.plot.fan(frame, lang="fr")
    with pytest.raises(ValueError, match="units"):
        medfund.plot.fan(frame, units="lakh")
    with pytest.raises(ValueError, match="expected the frame of medfund.simulate"):
        medfund.plot.fan(frame.assign(p5=frame["p5"].astype(float)))
    with pytest.raises(ValueError, match="no projected scheme"):
        medfund.plot.fan(frame.iloc[0:0])


REPO = pathlib.Path(__file__).resolve().parents[3]


def test_the_bundled_font_is_the_charts_and_has_every_character_the_plot_writes():
    from matplotlib.ft2font import FT2Font

    path = medfund.plot.BUNDLED_FONT_FILE
    crate = REPO / "crates" / "medfund-chart" / "fonts" / "MedfundChartSans.otf"
    if crate.exists():  # a source checkout: the package's copy is the crate's font
        assert path.read_bytes() == crate.read_bytes(), "rerun scripts/chart-font"
    font = FT2Font(str(path))
    assert font.family_name == medfund.plot.BUNDLED_FONT
    source = pathlib.Path(medfund.plot.__file__).read_text(encoding="utf-8")
    charmap = font.get_charmap()
    missing = sorted({c for c in source if ord(c) > 0x7E and not c.isspace() and ord(c) not in charmap})
    assert not missing, f"characters of plot.py missing from the bundled font (rerun scripts/chart-font): {missing}"
