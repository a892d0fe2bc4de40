"""medfund.ray on a local cluster: the parts make exactly the one-process result."""

from __future__ import annotations

import os

import pyarrow as pa
import pytest

import medfund
from conftest import EXAMPLES
from test_claims import random_claims


def test_simulate_in_ranges_of_trials_is_the_one_process_projection(ray_cluster):
    import medfund.ray

    expected = medfund.simulate(EXAMPLES / "projection.toml")
    for parts in (1, 3, 7):
        assert medfund.ray.simulate(EXAMPLES / "projection.toml", parts=parts).equals(expected), parts


def test_sweep_in_ranges_is_the_one_process_sweep(ray_cluster):
    import medfund.ray

    settings = {"riskpool.policy.levy_rate": ["5%", "8%", "10%"], "surplus.policy.primary_floor": ["30%", "40%"]}
    expected = medfund.sweep(EXAMPLES / "demo.toml", settings)
    assert medfund.ray.sweep(EXAMPLES / "demo.toml", settings, parts=4).equals(expected)
    link = [["riskpool.policy.levy_rate", "surplus.policy.primary_floor"]]
    settings["surplus.policy.primary_floor"] = ["30%", "40%", "50%"]
    linked = medfund.sweep(EXAMPLES / "demo.toml", settings, link=link)
    assert len(linked) == 3
    assert medfund.ray.sweep(EXAMPLES / "demo.toml", settings, parts=2, link=link).equals(linked)


def test_claims_partitioned_by_person_split_as_in_one_process(ray_cluster):
    import medfund.ray

    n = int(os.environ.get("MEDFUND_RAY_CLAIMS", "1000000"))
    table = random_claims(n, max(1, n // 5), 5)
    expected = medfund.split_claims(table, insured_persons=100_000)
    splits, years = medfund.ray.split_claims(table, insured_persons=100_000)
    got = pa.concat_tables(ray_cluster.get(splits.to_arrow_refs())).sort_by("claim_id")
    assert got.num_rows == n
    assert got.select(expected.claims.column_names).equals(expected.claims)
    assert years.equals(expected.years)


def test_errors_of_a_part_reach_the_caller(ray_cluster):
    import medfund.ray

    with pytest.raises(medfund.InputError):
        medfund.ray.simulate({"riskpool": {"year": 2023}, "projection": {"years": 0, "trials": 5, "seed": 1}})


def test_simulate_per_unit_in_ranges_of_trials_is_the_one_process_result(ray_cluster):
    import medfund.ray

    expected = medfund.simulate(EXAMPLES / "projection.toml", per_unit=True)
    got = medfund.ray.simulate(EXAMPLES / "projection.toml", parts=3, per_unit=True)
    assert got.schemes.equals(expected.schemes) and got.units.equals(expected.units)
