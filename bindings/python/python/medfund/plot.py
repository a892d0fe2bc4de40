"""Charts of a projection with matplotlib (``pip install "./bindings/python[plot]"``).

:func:`fan` draws the chart of ``medfund simulate --svg``: per scheme the
closing balance of the risk fund (p5–p95 and, where the frame has them,
p25–p75 bands; the p50 line) and beside it the probability of an actuarial
review that year and by that year; optionally a base projection in grey on
the same axes (``--against``). It returns a matplotlib ``Figure``, so a
notebook shows it and ``fig.savefig("fan.png")`` writes PNG, SVG or PDF.

>>> import medfund, medfund.plot
>>> fig = medfund.plot.fan(medfund.simulate("examples/projection.toml"))  # doctest: +SKIP
>>> fig.savefig("fan.png", dpi=150)  # doctest: +SKIP

Money reaches the chart as floats of yuan: drawing only, the frame keeps
the exact figures.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

__all__ = ["fan", "yuan_label"]

# Fonts for the labels: common CJK fonts first, so that 万/亿 and Chinese
# titles show where one is installed (Debian: fonts-noto-cjk), then the
# package's own Medfund Chart Sans (a subset of Noto Sans CJK SC holding
# every character the chart writes, SIL OFL 1.1: fonts/OFL.txt), so that
# they show on any machine, then matplotlib's own sans-serif.
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei"]
BUNDLED_FONT = "Medfund Chart Sans"
BUNDLED_FONT_FILE = Path(__file__).with_name("fonts") / "MedfundChartSans.otf"

_WORDS: Dict[str, Dict[str, str]] = {
    "zh": {
        "balance": "风险共济金年末余额",
        "risk": "需精算评估的概率",
        "year": "年度",
        "yuan": "年末余额（元）",
        "probability": "概率",
        "by_year": "截至当年累计",
        "this_year": "当年",
        "base": "基准",
        "employee": "城镇职工",
        "resident": "城乡居民",
    },
    "en": {
        "balance": "closing balance of the risk fund",
        "risk": "probability of an actuarial review",
        "year": "year",
        "yuan": "closing balance (yuan)",
        "probability": "probability",
        "by_year": "by that year",
        "this_year": "that year",
        "base": "base",
        "employee": "employee",
        "resident": "resident",
    },
}

_BAND = (66 / 255, 133 / 255, 199 / 255)
_RISK = (200 / 255, 80 / 255, 60 / 255)
_GREY = (110 / 255, 110 / 255, 110 / 255)


def _bundled_font() -> str:
    """Registers Medfund Chart Sans with matplotlib (once) and returns its family."""
    from matplotlib import font_manager

    if BUNDLED_FONT not in {f.name for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(BUNDLED_FONT_FILE))
    return BUNDLED_FONT


def yuan_label(yuan: float, units: str = "wan") -> str:
    """An axis label for ``yuan``: ``"wan"`` gives 万/亿 (``3500万``,
    ``1.25亿``) as ``medfund simulate --svg`` does; ``"million"`` gives
    ``35m`` / ``1,250m`` for fonts without CJK glyphs."""
    if units == "million":
        if abs(yuan) >= 1e6:
            text = f"{yuan / 1e6:,.2f}".rstrip("0").rstrip(".")
            return f"{text}m"
        return f"{yuan:,.0f}"
    if units != "wan":
        raise ValueError(f"units={units!r}; expected 'wan' or 'million'")
    if abs(yuan) >= 1e8:
        text = f"{yuan / 1e8:.2f}".rstrip("0").rstrip(".")
        return f"{text}亿"
    if abs(yuan) >= 1e4:
        return f"{yuan / 1e4:.0f}万"
    return f"{yuan:.0f}"


def _to_yuan(frame: Any, column: str) -> List[float]:
    """The money column as floats of yuan: Decimal yuan (``money="decimal"``)
    or integer fen (``money="fen"``); anything else is refused rather than
    guessed."""
    import pandas as pd

    values = frame[column]
    if pd.api.types.is_integer_dtype(values.dtype):
        return [int(v) / 100 for v in values]
    if all(isinstance(v, Decimal) for v in values):
        return [float(v) for v in values]
    raise ValueError(
        f"column {column!r} holds {values.dtype} values; expected the frame of medfund.simulate "
        "(Decimal yuan with money='decimal', integer fen with money='fen')"
    )


def _schemes(frame: Any, against: Any) -> List[str]:
    present = set(frame["scheme"]) | (set() if against is None else set(against["scheme"]))
    return [s for s in ("employee", "resident") if s in present]


def _rows(frame: Any, scheme: str) -> Any:
    return frame[frame["scheme"] == scheme].sort_values("year")


def _caption(frame: Any, against: Any, against_name: str, lang: str, quartiles: bool) -> str:
    trials, seed = frame.attrs.get("trials"), frame.attrs.get("seed")
    if lang == "zh":
        text = (
            f"{trials} 次模拟，种子 {seed}；色带：P5–P95{'、P25–P75' if quartiles else ''}；线：P50（中位数）。"
            "概率为模拟中出现未解决缺口（第十七条（三））的比例。"
        )
        if against is not None:
            text += f" 灰色：基准 {against_name}（{against.attrs.get('trials')} 次模拟，种子 {against.attrs.get('seed')}）。"
        return text
    text = (
        f"{trials} trials, seed {seed}; bands p5–p95{' and p25–p75' if quartiles else ''}, line p50 (median). "
        "A review is a trial with an unresolved gap (Art. 17(3))."
    )
    if against is not None:
        text += f" Grey: base {against_name} ({against.attrs.get('trials')} trials, seed {against.attrs.get('seed')})."
    return text


def _balance_range(parts: List[Any]) -> Tuple[float, float]:
    lows = [min(_to_yuan(p, "p5")) for p in parts if len(p)]
    highs = [max(_to_yuan(p, "p95")) for p in parts if len(p)]
    lo, hi = min(lows + [0.0]), max(highs + [1.0])
    return lo, hi + (hi - lo) * 0.08


def fan(
    frame: Any,
    *,
    against: Any = None,
    against_name: str = "base",
    lang: str = "en",
    units: Optional[str] = None,
    same_scale: bool = False,
) -> Any:
    """The fan chart of a projection frame (:func:`medfund.simulate`, either
    ``money``), as a matplotlib ``Figure`` with two axes per scheme: the
    closing balance (p5–p95 band, p25–p75 band when the frame has
    ``closing_p25``/``closing_p75`` — ask for ``quantiles = [25, 75]`` —,
    p50 line) and the review risk (by that year, thick; that year, thin).

    ``against``: another projection frame drawn in grey on the same axes
    (outline of its p5–p95 band, its p50, its risk by that year), named
    ``against_name`` in the caption. ``lang``: ``"en"`` or ``"zh"`` for the
    words. ``units``: axis labels in ``"wan"`` (万/亿; needs a CJK font) or
    ``"million"``; by default 万/亿 in Chinese and millions in English.
    ``same_scale``: one balance scale for every scheme."""
    if lang not in _WORDS:
        raise ValueError(f"lang={lang!r}; expected 'en' or 'zh'")
    units = units or ("wan" if lang == "zh" else "million")
    yuan_label(0.0, units)  # rejects an unknown unit before drawing
    try:
        from matplotlib.figure import Figure
        from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('medfund.plot needs matplotlib: pip install "./bindings/python[plot]"') from e

    words = _WORDS[lang]
    schemes = _schemes(frame, against)
    if not schemes:
        raise ValueError("the frame has no projected scheme; expected the frame of medfund.simulate")
    quartiles = {"closing_p25", "closing_p75"} <= set(frame.columns)
    fig = Figure(figsize=(12, 4 * len(schemes) + 0.4), layout="constrained")
    cjk = CJK_FONTS + [_bundled_font()] if lang == "zh" or units == "wan" else []
    fonts = cjk + ["DejaVu Sans", "sans-serif"]
    grid = fig.add_gridspec(len(schemes), 2, width_ratios=[1.7, 1])
    shared = None
    if same_scale:
        shared = _balance_range([_rows(f, s) for f in (frame, against) if f is not None for s in schemes])
    for i, scheme in enumerate(schemes):
        rows = _rows(frame, scheme)
        base = None if against is None else _rows(against, scheme)
        balance, risk = fig.add_subplot(grid[i, 0]), fig.add_subplot(grid[i, 1])
        for ax in (balance, risk):
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.tick_params(labelfontfamily=fonts)
            ax.set_xlabel(words["year"], fontfamily=fonts)
        if len(rows):
            years = list(rows["year"])
            balance.fill_between(years, _to_yuan(rows, "p5"), _to_yuan(rows, "p95"), color=_BAND, alpha=0.18,
                                 linewidth=0, label="p5–p95")
            if quartiles:
                balance.fill_between(years, _to_yuan(rows, "closing_p25"), _to_yuan(rows, "closing_p75"),
                                     color=_BAND, alpha=0.38, linewidth=0, label="p25–p75")
            balance.plot(years, _to_yuan(rows, "p50"), color=_BAND, linewidth=2.5, label="p50")
            risk.plot(years, list(rows["p_review_cumulative"]), color=_RISK, linewidth=2.5, label=words["by_year"])
            risk.plot(years, list(rows["p_actuarial_review"]), color=_RISK, alpha=0.6, linewidth=1,
                      label=words["this_year"])
        if base is not None and len(base):
            years = list(base["year"])
            upper, lower = _to_yuan(base, "p95"), _to_yuan(base, "p5")
            outline_x = years + years[::-1] + years[:1]
            outline_y = upper + lower[::-1] + upper[:1]
            balance.plot(outline_x, outline_y, color=_GREY, linewidth=0.8, label=f"{words['base']} p5–p95")
            balance.plot(years, _to_yuan(base, "p50"), color=_GREY, linewidth=1.8, label=f"{words['base']} p50")
            risk.plot(years, list(base["p_review_cumulative"]), color=_GREY, linewidth=2.5,
                      label=f"{words['base']} {words['by_year']}")
        lo, hi = shared or _balance_range([p for p in (rows, base) if p is not None])
        balance.set_ylim(lo, hi)
        balance.yaxis.set_major_formatter(FuncFormatter(lambda v, _: yuan_label(v, units)))
        balance.set_title(f"{words[scheme]} · {words['balance']}", fontfamily=fonts)
        balance.set_ylabel(words["yuan"], fontfamily=fonts)
        top = max([0.0] + [max(p["p_review_cumulative"].max(), p["p_actuarial_review"].max())
                           for p in (rows, base) if p is not None and len(p)])
        # Whole tenths from 10 % to 100 % with room above the highest risk, as the CLI draws.
        risk.set_ylim(0.0, min(1.0, max(0.1, math.ceil(top * 1.15 * 10) / 10)))
        risk.yaxis.set_major_formatter(PercentFormatter(1.0))
        risk.set_title(words["risk"], fontfamily=fonts)
        risk.set_ylabel(words["probability"], fontfamily=fonts)
        for ax in (balance, risk):
            ax.legend(loc="upper left", prop={"family": fonts, "size": 8})
    caption = _caption(frame, against, against_name, lang, quartiles)
    fig.supxlabel(caption, x=0.01, ha="left", fontsize=9, color="0.3", fontfamily=fonts)
    return fig
