"""medfund on a Ray cluster, for runs that outgrow one machine.

The work is split where the libraries guarantee that parts make the whole
exactly: a projection by ranges of trials (trial *i* draws from its own
random stream; each pass of the two-pass method runs the ranges as tasks), a sweep by ranges of combinations, claims by person (all
claims of one person in one partition, since a person's running totals are
what the split depends on). Ray schedules the parts; nothing here schedules
anything itself. The results are identical to :func:`medfund.simulate`,
:func:`medfund.sweep` and :func:`medfund.split_claims` in one process.

>>> import ray, medfund.ray
>>> ray.init(num_cpus=2)                      # or ray.init(address="ray://head:10001")  # doctest: +SKIP
>>> medfund.ray.simulate("examples/projection.toml", parts=8)  # doctest: +SKIP

A scenario given as a path must be readable at that path on every node (a
shared filesystem); a dict or text travels with the tasks.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import ray

from . import _medfund
from . import (
    _arrow_claims,
    _scenario_json,
    _settings_json,
    _supplementary_settings,
    _sweep_frame,
)
from ._money import _check_money
from ._projection import _projection_result
from ._input import Lists, Scenario, lists_bytes, source

__all__ = ["simulate", "sweep", "split_claims"]


def _parts(parts: Optional[int], total: int) -> List[Tuple[int, int]]:
    """``parts`` contiguous ranges covering ``0..total`` (by default one per CPU of the cluster)."""
    if parts is None:
        parts = max(1, int(ray.cluster_resources().get("CPU", 1)))
    if parts < 1:
        raise ValueError(f"parts={parts}; expected at least 1")
    parts = min(parts, max(total, 1))
    bounds = [total * k // parts for k in range(parts + 1)]
    return [(a, b) for a, b in zip(bounds, bounds[1:])]


@ray.remote
def _gather(
    kind: str,
    value: str,
    plan: Optional[bytes],
    start: int,
    end: int,
    lists: Optional[Dict[str, bytes]],
    per_unit: bool,
) -> bytes:
    return _medfund.projection_shard(kind, value, plan, start, end, lists, per_unit)


def simulate(
    scenario: Scenario,
    *,
    parts: Optional[int] = None,
    money: str = "decimal",
    lists: Optional[Lists] = None,
    per_unit: bool = False,
) -> Any:
    """:func:`medfund.simulate` with the trials split into ``parts`` Ray tasks
    (default: one per CPU of the cluster); the result is identical. ``lists``
    as for :func:`medfund.run` (shipped to the tasks with the scenario);
    ``per_unit=True`` gives a :class:`medfund.ProjectionResult` as there.

    It runs the two-pass method (contract §8 "Many trials"): each pass runs
    every range of trials as a task, which sends back counts and a bounded
    number of values rather than every trial, so neither the tasks nor the
    driver hold memory that grows with the trials. Two passes at least, a
    few more only when the wanted percentiles sit in very full bins."""
    _check_money(money)
    kind, value = source(scenario)
    given = lists_bytes(lists)
    doc = json.loads(_medfund.document(kind, value))
    trials = doc.get("projection", {}).get("trials")
    if not isinstance(trials, int) or trials < 1:
        # No (valid) projection: the one-process call reports the error as it would.
        raw = _medfund.simulate(kind, value, given, None, "decimal", per_unit)
        return _projection_result(json.loads(raw), money, per_unit)
    shared = ray.put(given)
    ranges = _parts(parts, trials)
    plan: Optional[bytes] = None  # the first pass
    while True:
        outcomes = ray.get([_gather.remote(kind, value, plan, a, b, shared, per_unit) for a, b in ranges])
        plan, projection = _medfund.projection_merge(kind, value, plan, outcomes, given, per_unit)
        if projection is not None:
            return _projection_result(json.loads(projection), money, per_unit)


@ray.remote
def _combinations(
    doc_json: str, settings_json: str, start: int, end: int, lists: Optional[Dict[str, bytes]], base: Optional[str]
) -> bytes:
    return _medfund.sweep(doc_json, settings_json, start, end, lists, base)


def sweep(
    scenario: Scenario,
    settings: Mapping[str, Sequence[Any]],
    *,
    parts: Optional[int] = None,
    money: str = "decimal",
    lists: Optional[Lists] = None,
    link: Optional[Sequence[Sequence[str]]] = None,
) -> Any:
    """:func:`medfund.sweep` with the combinations split into ``parts`` Ray
    tasks (in cartesian order); the result is identical. ``lists`` and
    ``link`` as for :func:`medfund.sweep`."""
    _check_money(money)
    settings_json = _settings_json(settings, link)
    doc_json, base = _scenario_json(scenario)
    total = _medfund.sweep_combinations(settings_json)
    shared = ray.put(lists_bytes(lists))
    refs = [_combinations.remote(doc_json, settings_json, a, b, shared, base) for a, b in _parts(parts, total)]
    rows: List[Any] = []
    for part in ray.get(refs):
        rows.extend(json.loads(part))
    return _sweep_frame(list(settings), rows, money)


def _with_buckets(batch: Any, buckets: int) -> Any:
    return batch.append_column("_medfund_bucket", _medfund.person_buckets(batch, buckets).column("bucket"))


def _split_group(batch: Any, settings_json: str, money: str) -> Any:
    claims, _years = _medfund.split_claims(batch.drop_columns(["_medfund_bucket"]), settings_json, money)
    return claims


def _years_of(batch: Any, settings_json: str, money: str) -> Any:
    return _medfund.year_summaries(batch, settings_json, money)


def split_claims(
    claims: Any,
    *,
    insured_persons: int,
    preset: Optional[str] = None,
    policy: Optional[Mapping[str, Any]] = None,
    no_insured_persons: bool = False,
    buckets: Optional[int] = None,
    money: str = "decimal",
) -> Tuple[Any, Any]:
    """:func:`medfund.split_claims` on a Ray Dataset (or a table Ray Data
    can read): claims are partitioned by person into ``buckets`` groups (all
    claims of one person in one group; default: 4 per CPU), each group is
    split by ``map_groups``, and the per-year summaries of the parts are
    merged. Returns ``(splits, years)``: the per-claim splits as a Ray
    Dataset (pass a ``claim_id`` column to match them to your claims: their
    order is by group) and the per-year summary as a ``pyarrow.Table``,
    identical to the one-process split.
    """
    import ray.data

    _check_money(money)
    settings_json = _supplementary_settings(insured_persons, preset, policy, no_insured_persons)
    if buckets is None:
        buckets = 4 * max(1, int(ray.cluster_resources().get("CPU", 1)))
    if isinstance(claims, ray.data.Dataset):
        ds = claims
    else:
        import pyarrow as pa

        table = _arrow_claims(claims)
        if isinstance(table, pa.RecordBatch):
            table = pa.Table.from_batches([table])
        ds = ray.data.from_arrow(table)
    keyed = ds.map_batches(_with_buckets, batch_format="pyarrow", fn_kwargs={"buckets": buckets})
    splits = (
        keyed.groupby("_medfund_bucket")
        .map_groups(_split_group, batch_format="pyarrow", fn_kwargs={"settings_json": settings_json, "money": money})
        .materialize()
    )
    parts = splits.map_batches(
        _years_of, batch_format="pyarrow", fn_kwargs={"settings_json": settings_json, "money": money}
    ).to_arrow_refs()
    years = _medfund.merge_year_summaries(ray.get(parts), money)
    return splits, years
