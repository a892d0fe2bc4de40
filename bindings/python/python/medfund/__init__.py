"""medfund: exact, explainable rules for Chinese medical-insurance funds (医保基金).

The scenario contract of medfund from Python. Every figure is computed by the
Rust libraries (the same code as the ``medfund`` command and service), exact
to the fen; money never passes through a float. Results come as pandas
DataFrames and Arrow tables whose money columns are ``decimal128(18, 2)``
(pandas shows ``decimal.Decimal``), or int64 fen with ``money="fen"``.

>>> import medfund
>>> report = medfund.run({"surplus": {"total": "100万", "institutions": [
...     {"id": "town-a", "level": "primary", "chronic_care_score": 80, "workload": 100}]}})
>>> report.to_dict()["surplus"]["total"]
'980000.00'

A scenario is a dict, TOML or JSON text, or a path to a ``.toml``/``.json``
file (whose ``*_csv`` lists are read relative to it). The walk-through is
``docs/python.md`` in the repository; runs beyond one machine are in
:mod:`medfund.ray`, charts in :mod:`medfund.plot`.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import _medfund
from ._input import Lists, Scenario, folder, lists_bytes, source, to_json
from .errors import InputError, MedfundError, NotInForceError

__all__ = [
    "DEMO",
    "demo",
    "Report",
    "SplitResult",
    "ProjectionResult",
    "run",
    "check",
    "simulate",
    "simulate_shard",
    "merge_shards",
    "compare",
    "sweep",
    "policies",
    "split_claims",
    "InputError",
    "NotInForceError",
    "MedfundError",
    "__version__",
]

__version__: str = _medfund.__version__

_MONEY = ("decimal", "fen")


def _check_money(money: str) -> None:
    if money not in _MONEY:
        raise ValueError(f"money={money!r}; expected 'decimal' or 'fen'")


class Report:
    """The report of a scenario: what ``medfund run`` computes.

    ``to_dict()`` is the contract's JSON report; ``tables()`` the tables of
    the text report as DataFrames; ``trace`` the audit trail (with
    ``explain=True``).
    """

    def __init__(self, inner: "_medfund.Report") -> None:
        self._inner = inner
        self._json: Optional[bytes] = None

    def to_json(self, pretty: bool = False) -> str:
        """The JSON report, exactly as ``medfund run --format json`` prints it."""
        if not pretty:
            return self._bytes().decode("utf-8")
        return self._inner.json(True).decode("utf-8")

    def _bytes(self) -> bytes:
        if self._json is None:
            self._json = self._inner.json(False)
        return self._json

    def to_dict(self) -> Dict[str, Any]:
        """The JSON report as a dict (money as two-decimal strings, as in the contract)."""
        return json.loads(self._bytes())

    @property
    def trace(self) -> List[Dict[str, Any]]:
        """The audit trail: one step per figure, with its rule, inputs and formula (empty without ``explain``)."""
        return self.to_dict().get("trace", [])

    def tables(self, lang: str = "en", money: str = "decimal") -> Dict[str, Any]:
        """Every table of the text report as a pandas DataFrame, by table name.

        Column names are the labels in ``lang`` (``"en"`` or ``"zh"``); each
        DataFrame's ``attrs["title"]`` is the table's title. Money columns
        hold ``Decimal`` (or int64 fen with ``money="fen"``).
        """
        _check_money(money)
        frames = {}
        for name, table in self._inner.tables(lang, money):
            frame = table.to_pandas()
            metadata = table.schema.metadata or {}
            frame.attrs["title"] = metadata.get(b"title", b"").decode("utf-8")
            frames[name] = frame
        return frames

    def arrow_tables(self, lang: str = "en", money: str = "decimal") -> Dict[str, Any]:
        """As :meth:`tables`, as ``pyarrow.Table`` objects."""
        _check_money(money)
        return dict(self._inner.tables(lang, money))

    def render(self, format: str = "table", lang: str = "zh") -> str:
        """The text report: ``table``, ``markdown`` or ``csv``, as the command prints it."""
        return self._inner.render(format, lang)

    def __repr__(self) -> str:
        sections = [k for k in ("riskpool", "assistance", "supplementary", "surplus") if k in self.to_dict()]
        return f"<medfund.Report {', '.join(sections) or 'empty'}>"


#: The built-in demo scenario (TOML text): every section of the contract,
#: the scenario ``medfund demo`` runs.
DEMO: str = _medfund.DEMO


def demo(*, explain: bool = False) -> Report:
    """The report of the built-in demo scenario, as ``medfund demo`` gives it.

    >>> medfund.demo().to_dict()["format"]  # doctest: +SKIP
    'medfund-report/1'
    """
    return run(DEMO, explain=explain)


def run(scenario: Scenario, *, explain: bool = False, lists: Optional[Lists] = None) -> Report:
    """Computes every section of a scenario and returns its :class:`Report`.

    ``scenario`` is a dict, TOML or JSON text, or a path. Money in a dict may
    be ``Decimal``, ``int``, text (``"1234.56"``, ``"40万"``) or a ``float``
    whose shortest form has at most two decimals. ``explain=True`` records the
    audit trail (``Report.trace``). ``lists`` gives the lists the scenario
    names by file (``claims_csv = "claims.csv"`` reads ``lists["claims.csv"]``:
    CSV text, bytes or a DataFrame); with it nothing is read from disk.
    Without it, list paths are relative to the scenario file's folder (the
    current folder for text and dicts).

    Raises :class:`InputError` (every error found, with ``.path``, ``.line``,
    ``.column``, ``.code``) or :class:`NotInForceError`.
    """
    kind, value = source(scenario)
    return Report(_medfund.run(kind, value, explain, lists_bytes(lists)))


def check(scenario: Scenario, *, lists: Optional[Lists] = None) -> List[str]:
    """Resolves everything :func:`run` would and returns the sections present;
    raises :class:`InputError` with every error found. ``lists`` as for :func:`run`."""
    kind, value = source(scenario)
    return list(_medfund.check(kind, value, lists_bytes(lists)))


def _money(text: Any, money: str) -> Any:
    if text is None:
        return None
    d = Decimal(text)
    return int(d.scaleb(2)) if money == "fen" else d


def _is_money(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    whole, dot, fraction = value.partition(".")
    return dot == "." and len(fraction) == 2 and whole.lstrip("-").isdigit() and fraction.isdigit()


def _is_decimal(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    whole, dot, fraction = value.partition(".")
    return dot == "." and whole.lstrip("-").isdigit() and fraction.isdigit()


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


def compare(base: Scenario, variant: Scenario, *, lists: Optional[Lists] = None) -> Any:
    """Every figure of the two reports that differs, as a DataFrame (``path``,
    ``base``, ``variant``, ``difference``; money as ``Decimal``).
    ``attrs["identical"]`` counts the figures equal in both. ``lists`` (as for
    :func:`run`) serves both scenarios."""
    import pandas as pd

    a, b = run(base, lists=lists), run(variant, lists=lists)
    doc = json.loads(_medfund.compare(a._inner, "base", b._inner, "variant"))["compare"]
    conv = lambda v: Decimal(v) if _is_money(v) else v  # noqa: E731
    rows = [
        {"path": d["path"], "base": conv(d["base"]), "variant": conv(d["variant"]), "difference": conv(d["difference"])}
        for d in doc["differences"]
    ]
    frame = pd.DataFrame(rows, columns=["path", "base", "variant", "difference"])
    frame.attrs["identical"] = doc["identical"]
    return frame


def _settings_json(settings: Mapping[str, Sequence[Any]], link: Optional[Sequence[Sequence[str]]] = None) -> str:
    if not isinstance(settings, Mapping) or not settings:
        raise ValueError("settings: expected a non-empty dict {'field.path': [value, ...]}")
    fixed = {}
    for path, values in settings.items():
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise ValueError(f"settings[{path!r}]: expected a list of values")
        fixed[path] = list(values)
    links = []
    for group in link or []:
        if isinstance(group, (str, bytes)) or not all(isinstance(p, str) for p in group):
            raise ValueError(f"link: {group!r}; expected lists of field paths of settings, e.g. [['a', 'b']]")
        links.append(list(group))
    return to_json({"set": fixed, "link": links})


def _scenario_json(scenario: Scenario) -> Tuple[str, Optional[str]]:
    """The scenario as a JSON document (TOML read as JSON), for a sweep to
    edit, and the folder its list paths are relative to."""
    kind, value = source(scenario)
    return _medfund.document(kind, value), folder(kind, value)


def _sweep_frame(parameters: Sequence[str], rows: List[Dict[str, Any]], money: str) -> Any:
    import pandas as pd

    records = []
    for r in rows:
        record = dict(r["values"])
        for name, v in r["figures"].items():
            # Money (two decimals) as Decimal or fen; shares (more decimals) as Decimal.
            record[name] = _money(v, money) if _is_money(v) else Decimal(v) if _is_decimal(v) else v
        records.append(record)
    frame = pd.DataFrame(records)
    if not rows:
        frame = pd.DataFrame(columns=list(parameters))
    return frame


def sweep(
    scenario: Scenario,
    settings: Mapping[str, Sequence[Any]],
    *,
    money: str = "decimal",
    lists: Optional[Lists] = None,
    link: Optional[Sequence[Sequence[str]]] = None,
) -> Any:
    """Runs ``scenario`` once per combination of ``settings`` (cartesian
    product, the last path varying fastest; parallel) and returns a DataFrame
    with one row per combination: the values set, then the headline figures
    (money as ``Decimal``). ``lists`` as for :func:`run`.

    ``link``: lists of paths of ``settings`` that vary together (their first
    values together, then their second, …) as one dimension of the product,
    like ``medfund sweep --link``; linked paths need as many values each.

    >>> medfund.sweep("examples/demo.toml", {"riskpool.policy.levy_rate": ["8%", "10%"]})  # doctest: +SKIP
    """
    _check_money(money)
    settings_json = _settings_json(settings, link)
    doc_json, base = _scenario_json(scenario)
    rows = json.loads(_medfund.sweep(doc_json, settings_json, None, None, lists_bytes(lists), base))
    return _sweep_frame(list(settings), rows, money)


def policies() -> Any:
    """The built-in policy presets as a DataFrame: id, section, region, title, document (文号), validity."""
    import pandas as pd

    return pd.DataFrame(json.loads(_medfund.policies()))


class SplitResult:
    """The split of claims: ``claims`` (one row per input claim, in input
    order: ``claim_id`` when given, ``medical_year``, ``fund``, ``insurer``,
    ``person_pays``) and ``years`` (``medical_year``, ``premiums``,
    ``claims_paid``, ``insurer_result``), both ``pyarrow.Table``."""

    def __init__(self, claims: Any, years: Any) -> None:
        self.claims = claims
        self.years = years

    def __iter__(self):  # unpacking: claims, years = medfund.split_claims(...)
        return iter((self.claims, self.years))

    def __repr__(self) -> str:
        return f"<medfund.SplitResult {self.claims.num_rows} claims, {self.years.num_rows} medical years>"


def _arrow_claims(claims: Any) -> Any:
    import pyarrow as pa

    if isinstance(claims, (pa.Table, pa.RecordBatch)):
        return claims
    if hasattr(claims, "__arrow_c_stream__") or hasattr(claims, "__arrow_c_array__"):
        return claims
    if type(claims).__module__.startswith("pandas"):
        import pandas as pd

        frame = claims
        if "eligible_cost" in frame.columns and frame["eligible_cost"].dtype == object:
            # Decimal or text amounts: as text, read exactly by the library.
            frame = frame.assign(eligible_cost=frame["eligible_cost"].map(lambda v: None if v is None else str(v)))
        if "date" in frame.columns and pd.api.types.is_datetime64_any_dtype(frame["date"]):
            if (frame["date"] != frame["date"].dt.normalize()).any():
                raise InputError(
                    "supplementary.claims.date: a time of day; expected dates",
                    json.dumps([{"kind": "input", "code": "invalid-value", "path": "supplementary.claims.date",
                                 "expected": "dates", "message": "a time of day; expected dates"}]),
                )
            frame = frame.assign(date=frame["date"].dt.date)
        return pa.Table.from_pandas(frame, preserve_index=False)
    raise TypeError(f"claims: expected a pyarrow Table/RecordBatch or a pandas DataFrame; got {type(claims).__name__}")


def _supplementary_settings(
    insured_persons: int, preset: Optional[str], policy: Optional[Mapping[str, Any]], no_insured_persons: bool
) -> str:
    """The ``[supplementary]`` table of a split, as JSON (no claims of its own)."""
    settings: Dict[str, Any] = {"insured_persons": insured_persons}
    if preset is not None:
        settings["preset"] = preset
    if policy is not None:
        settings["policy"] = dict(policy)
    if no_insured_persons:
        settings["no_insured_persons"] = True
    return to_json(settings)


def split_claims(
    claims: Any,
    *,
    insured_persons: int,
    preset: Optional[str] = None,
    policy: Optional[Mapping[str, Any]] = None,
    no_insured_persons: bool = False,
    money: str = "decimal",
) -> SplitResult:
    """The supplementary split (§5) of claims given as columns, without files.

    ``claims`` is a pyarrow Table or RecordBatch (read without copying) or a
    pandas DataFrame with ``person`` (text or integers), ``date`` (date32 or
    ``YYYY-MM-DD``) and ``eligible_cost`` (decimal, text, integer yuan — or
    integer fen with ``money="fen"`` — or floats that have at most two
    decimals), and optionally ``claim_id``, passed through. The policy is the
    ``[supplementary]`` preset (default ``xiamen-2007``) with the overrides of
    ``policy``, checked as in a scenario; the result equals ``medfund run`` on
    the same claims. The GIL is released while it runs.
    """
    _check_money(money)
    table = _arrow_claims(claims)
    settings = _supplementary_settings(insured_persons, preset, policy, no_insured_persons)
    splits, years = _medfund.split_claims(table, settings, money)
    return SplitResult(splits, years)
