"""The Monte Carlo projection (contract §8) as DataFrames: in one process,
or in shards of trials run apart and merged."""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from . import _medfund
from ._input import Lists, Scenario, lists_bytes, source
from ._money import _MONEY, _check_money, _money

def simulate(
    scenario: Scenario,
    *,
    money: str = "decimal",
    lists: Optional[Lists] = None,
    paths: Optional[Union[str, "os.PathLike[str]"]] = None,
    paths_money: str = "decimal",
    per_unit: bool = False,
) -> Any:
    """The Monte Carlo projection (``[projection]``) as a DataFrame: one row per
    scheme and year with the p5/p50/p95 and mean closing balance, the
    probability of an actuarial review that year (``p_actuarial_review``), by
    that year (``p_review_cumulative``) and for the first time that year
    (``p_first_review``), the mean unresolved gap, the Monte Carlo standard
    error (``…_se``) of every probability and mean, and ``closing_pQ`` /
    ``unresolved_pQ`` for each percentile of ``[projection] quantiles``.
    ``attrs`` holds ``trials`` and ``seed``. ``lists`` as for :func:`run`.

    ``paths``: also write every trial's path (trial, scheme, year, closing
    balance, unresolved, review) to this file — ``.csv``, ``.parquet`` or
    ``.arrow``, the same rows as ``medfund simulate --paths`` — for any
    statistic the frame does not hold; ``paths_money`` is ``"decimal"``
    (yuan, decimal(18,2)) or ``"fen"`` (int64). The file appears under its
    name only once complete. Keeping every trial, it is refused (a
    ``limit`` error) where the trials would not fit the memory limit.

    ``per_unit=True`` also computes statistics per unit (as ``[projection]
    per_unit = true`` or ``medfund simulate --per-unit``) and returns a
    :class:`ProjectionResult` — ``schemes, units = medfund.simulate(s,
    per_unit=True)`` — whose ``units`` frame has one row per unit and year."""
    _check_money(money)
    if paths_money not in _MONEY:
        raise ValueError(f"paths_money={paths_money!r}; expected 'decimal' or 'fen'")
    kind, value = source(scenario)
    out = None if paths is None else os.fspath(paths)
    raw = _medfund.simulate(kind, value, lists_bytes(lists), out, paths_money, per_unit)
    return _projection_result(json.loads(raw), money, per_unit)


def simulate_shard(
    scenario: Scenario,
    start: int,
    end: int,
    *,
    plan: Optional[bytes] = None,
    lists: Optional[Lists] = None,
    per_unit: bool = False,
) -> bytes:
    """One shard of the projection run apart (another process or machine):
    the pass of ``plan`` (a plan from :func:`merge_shards`; ``None`` for the
    first pass) over the trials ``start`` to ``end`` (numbered from 0, ``end``
    excluded), as the bytes of a pass file — the same bytes as ``medfund
    simulate --trials-from start --trials-to end --pass-out FILE``, so shards
    of the CLI and of Python merge together. Memory does not grow with the
    trials (contract §8 "Many trials"). ``per_unit`` as for :func:`simulate`,
    the same for every shard and for :func:`merge_shards`."""
    kind, value = source(scenario)
    return _medfund.projection_shard(kind, value, plan, start, end, lists_bytes(lists), per_unit)


def merge_shards(
    scenario: Scenario,
    passes: Sequence[bytes],
    *,
    plan: Optional[bytes] = None,
    money: str = "decimal",
    lists: Optional[Lists] = None,
    per_unit: bool = False,
) -> Tuple[Optional[bytes], Any]:
    """Merges the pass files of every shard of ``plan``'s pass (together every
    trial once, in any order): ``(next_plan, None)`` when another pass is
    needed — run every shard again with ``plan=next_plan`` — or ``(None,
    frame)``, the DataFrame of :func:`simulate`, exactly equal to it. Files of
    another projection, of another pass, or missing or repeating trials raise
    :class:`InputError`. With ``per_unit=True`` (and shards run with it) the
    result is a :class:`ProjectionResult`, as from :func:`simulate`."""
    _check_money(money)
    kind, value = source(scenario)
    next_plan, projection = _medfund.projection_merge(kind, value, plan, list(passes), lists_bytes(lists), per_unit)
    if projection is None:
        return next_plan, None
    return None, _projection_result(json.loads(projection), money, per_unit)


class ProjectionResult:
    """A projection with statistics per unit (``per_unit=True``): ``schemes``,
    the frame :func:`simulate` returns otherwise, and ``units``, one row per
    unit and year: ``scheme``, ``unit``, ``name``, ``year``, the share of
    trials in which the unit has a gap (``p_gap``), has part of it left
    unresolved that year (``p_unresolved``), by that year
    (``p_unresolved_cumulative``) and for the first time that year
    (``p_first_unresolved``), the mean draw on the risk fund
    (``mean_from_risk_fund``) and mean unresolved amount, each with its
    standard error (``…_se``)."""

    def __init__(self, schemes: Any, units: Any) -> None:
        self.schemes = schemes
        self.units = units

    def __iter__(self):  # unpacking: schemes, units = medfund.simulate(..., per_unit=True)
        return iter((self.schemes, self.units))

    def __repr__(self) -> str:
        return f"<medfund.ProjectionResult {len(self.schemes)} scheme-years, {len(self.units)} unit-years>"


_UNIT_SHARES = ("p_gap", "p_unresolved", "p_unresolved_cumulative", "p_first_unresolved")
_UNIT_MEANS = ("mean_from_risk_fund", "mean_unresolved")


def _units_frame(doc: Dict[str, Any], money: str) -> Any:
    import pandas as pd

    rows = []
    for u in doc["projection"].get("units", []):
        for y in u["years"]:
            row = {"scheme": u["scheme"], "unit": u["id"], "name": u.get("name"), "year": y["year"]}
            for key in _UNIT_SHARES:
                row[key] = y[key]
                row[key + "_se"] = y[key + "_se"]
            for key in _UNIT_MEANS:
                row[key] = _money(y[key], money)
                row[key + "_se"] = _money(y.get(key + "_se"), money)
            rows.append(row)
    columns = ["scheme", "unit", "name", "year"]
    columns += [c for key in _UNIT_SHARES for c in (key, key + "_se")]
    columns += [c for key in _UNIT_MEANS for c in (key, key + "_se")]
    frame = pd.DataFrame(rows, columns=columns)
    frame.attrs["trials"] = doc["projection"]["trials"]
    frame.attrs["seed"] = doc["projection"]["seed"]
    return frame


def _projection_result(doc: Dict[str, Any], money: str, per_unit: bool) -> Any:
    """The schemes' frame, or with ``per_unit`` a :class:`ProjectionResult`."""
    frame = _projection_frame(doc, money)
    return ProjectionResult(frame, _units_frame(doc, money)) if per_unit else frame


_PROJECTION_COLUMNS = [
    "scheme",
    "year",
    "p5",
    "p50",
    "p95",
    "mean_closing_balance",
    "mean_closing_balance_se",
    "p_actuarial_review",
    "p_actuarial_review_se",
    "p_review_cumulative",
    "p_review_cumulative_se",
    "p_first_review",
    "p_first_review_se",
    "mean_unresolved",
    "mean_unresolved_se",
]


def _projection_frame(doc: Dict[str, Any], money: str) -> Any:
    import pandas as pd

    p = doc["projection"]
    rows = []
    quantile_columns: List[str] = []
    for scheme, years in p["schemes"].items():
        for y in years:
            row = {
                "scheme": scheme,
                "year": y["year"],
                "p5": _money(y["closing_balance"]["p5"], money),
                "p50": _money(y["closing_balance"]["p50"], money),
                "p95": _money(y["closing_balance"]["p95"], money),
                "mean_closing_balance": _money(y["mean_closing_balance"], money),
                "mean_closing_balance_se": _money(y.get("mean_closing_balance_se"), money),
                "mean_unresolved": _money(y["mean_unresolved"], money),
                "mean_unresolved_se": _money(y.get("mean_unresolved_se"), money),
            }
            for key in ("p_actuarial_review", "p_review_cumulative", "p_first_review"):
                row[key] = y[key]
                row[key + "_se"] = y[key + "_se"]
            for q in y.get("quantiles", []):
                for what, column in (("closing_balance", "closing"), ("unresolved", "unresolved")):
                    name = f"{column}_p{q['p']}"
                    row[name] = _money(q[what], money)
                    if name not in quantile_columns:
                        quantile_columns.append(name)
            rows.append(row)
    frame = pd.DataFrame(rows, columns=_PROJECTION_COLUMNS + quantile_columns)
    frame.attrs["trials"] = p["trials"]
    frame.attrs["seed"] = p["seed"]
    return frame
