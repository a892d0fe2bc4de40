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
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _medfund
from ._input import Lists, Scenario, folder, lists_bytes, source, to_json
from ._money import _check_money, _is_decimal, _is_money, _money
from ._projection import ProjectionResult, merge_shards, simulate, simulate_shard
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
