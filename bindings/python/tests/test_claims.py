"""split_claims on Arrow and pandas columns, against the command on the same claims."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import medfund
from conftest import cli, cli_json


def random_claims(n: int, persons: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    person = np.char.add("p", rng.integers(0, persons, n).astype(str))
    date = (np.datetime64("2023-01-01") + rng.integers(0, 900, n)).astype("datetime64[D]")
    fen = rng.integers(0, 3_000_000, n)
    fen[rng.integers(0, n, max(1, n // 50))] = rng.integers(0, 40_000_000, max(1, n // 50))
    cost = pa.array([Decimal(int(f)).scaleb(-2) for f in fen], pa.decimal128(18, 2))
    return pa.table({"claim_id": np.arange(n), "person": person, "date": pa.array(date, pa.date32()), "eligible_cost": cost})


def test_split_equals_the_cli_on_the_same_claims(tmp_path: pathlib.Path):
    table = random_claims(5_000, 400, 7)
    frame = table.to_pandas()
    frame["eligible_cost"] = frame["eligible_cost"].map(str)
    frame[["person", "date", "eligible_cost"]].to_csv(tmp_path / "claims.csv", index=False)
    (tmp_path / "s.toml").write_text('[supplementary]\ninsured_persons = 1000\nclaims_csv = "claims.csv"\n')
    report = cli_json("run", str(tmp_path / "s.toml"), "--format", "json")["supplementary"]
    result = medfund.split_claims(table, insured_persons=1000)
    claims = result.claims.to_pylist()
    assert [c["claim_id"] for c in claims] == list(range(5_000))
    for got, want in zip(claims, report["claims"]):
        assert got["medical_year"] == want["medical_year"]
        assert (str(got["fund"]), str(got["insurer"]), str(got["person_pays"])) == (want["fund"], want["insurer"], want["person_pays"])
    years = [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in y.items()} for y in result.years.to_pylist()]
    assert years == report["years"]
    assert result.claims.schema.field("fund").type == pa.decimal128(18, 2)


def test_every_column_type_gives_the_same_split():
    base = random_claims(2_000, 100, 3)
    expected = medfund.split_claims(base, insured_persons=50)
    fen = pa.array([int(d.scaleb(2)) for d in base.column("eligible_cost").to_pylist()], pa.int64())
    variants = {
        "text dates": base.set_column(2, "date", pa.array([d.isoformat() for d in base.column("date").to_pylist()])),
        "text costs": base.set_column(3, "eligible_cost", pa.array([str(d) for d in base.column("eligible_cost").to_pylist()])),
        "float costs": base.set_column(3, "eligible_cost", pa.array([float(d) for d in base.column("eligible_cost").to_pylist()])),
        "scale 4": base.set_column(3, "eligible_cost", base.column("eligible_cost").cast(pa.decimal128(22, 4))),
        "large text persons": base.set_column(1, "person", base.column("person").cast(pa.large_string())),
        "a record batch": base.to_batches()[0] if base.num_rows else base,
        "several batches": pa.Table.from_batches(base.to_batches(max_chunksize=300)),
        "pandas": base.to_pandas(),
    }
    for name, claims in variants.items():
        got = medfund.split_claims(claims, insured_persons=50)
        assert got.claims.equals(expected.claims), name
        assert got.years.equals(expected.years), name
    in_fen = medfund.split_claims(base.set_column(3, "eligible_cost", fen), insured_persons=50, money="fen")
    assert in_fen.claims.column("fund").to_pylist() == [int(d.scaleb(2)) for d in expected.claims.column("fund").to_pylist()]
    ints = base.set_column(1, "person", pa.array([int(p[1:]) for p in base.column("person").to_pylist()]))
    assert medfund.split_claims(ints, insured_persons=50).claims.drop_columns(["claim_id"]).equals(
        expected.claims.drop_columns(["claim_id"])
    )


def one(**columns) -> pa.Table:
    base = {"person": ["a"], "date": pa.array([dt.date(2024, 3, 1)]), "eligible_cost": pa.array([Decimal("10.00")])}
    base.update(columns)
    return pa.table(base)


@pytest.mark.parametrize(
    "claims, path",
    [
        (one(eligible_cost=pa.array([0.1 + 0.2])), "supplementary.claims[0].eligible_cost"),
        (one(eligible_cost=pa.array(["1.234"])), "supplementary.claims[0].eligible_cost"),
        (one(eligible_cost=pa.array([Decimal("1.234")], pa.decimal128(10, 3))), "supplementary.claims[0].eligible_cost"),
        (one(eligible_cost=pa.array([-5], pa.int64())), "supplementary.claims[0].eligible_cost"),
        (one(eligible_cost=pa.array([None], pa.int64())), "supplementary.claims[0].eligible_cost"),
        (one(date=pa.array(["2024-3-1"])), "supplementary.claims[0].date"),
        (one(date=pa.array([dt.date(1850, 1, 1)])), "supplementary.claims[0].date"),
        (one(person=pa.array([None], pa.string())), "supplementary.claims[0].person"),
    ],
)
def test_bad_claims_are_input_errors_naming_the_row(claims, path):
    with pytest.raises(medfund.InputError) as e:
        medfund.split_claims(claims, insured_persons=1)
    assert e.value.path == path, e.value


def test_missing_columns_policy_errors_and_not_in_force():
    with pytest.raises(medfund.InputError, match="no column"):
        medfund.split_claims(pa.table({"person": ["a"]}), insured_persons=1)
    with pytest.raises(medfund.InputError) as e:
        medfund.split_claims(one(), insured_persons=0)
    assert e.value.path == "supplementary.insured_persons"
    with pytest.raises(medfund.InputError) as e:
        medfund.split_claims(one(), insured_persons=1, policy={"insurer_rate": "150%"})
    assert e.value.path == "supplementary.policy.insurer_rate"
    with pytest.raises(medfund.NotInForceError):
        medfund.split_claims(one(date=pa.array([dt.date(2000, 1, 1)])), insured_persons=1)
    custom = medfund.split_claims(one(eligible_cost=pa.array([Decimal("100000")])), insured_persons=1, policy={"fund_cap": "1000"})
    assert custom.claims.column("fund").to_pylist() == [Decimal("1000.00")]


def test_money_is_conserved_claim_by_claim():
    table = random_claims(20_000, 1_000, 11)
    r = medfund.split_claims(table, insured_persons=1, money="fen")
    fund, insurer, person = (r.claims.column(c).to_numpy() for c in ("fund", "insurer", "person_pays"))
    cost = np.array([int(d.scaleb(2)) for d in table.column("eligible_cost").to_pylist()])
    assert (fund + insurer + person == cost).all()


def test_the_cli_parquet_results_are_the_python_split_table(tmp_path: pathlib.Path):
    """§5.3: `medfund run --claims-out x.parquet` writes the schema and the
    values of `medfund.split_claims` (claim_id passed through, in input order),
    in memory and partitioned to temporary files alike."""
    import pyarrow.parquet as pq

    table = random_claims(20_000, 3_000, 11)
    pq.write_table(table, tmp_path / "claims.parquet")
    (tmp_path / "s.toml").write_text('[supplementary]\ninsured_persons = 1000\nclaims_parquet = "claims.parquet"\n')
    expected = medfund.split_claims(table, insured_persons=1000)
    for extra in ([], ["--memory-budget", "64KiB", "--temp-dir", str(tmp_path)]):
        out = tmp_path / "splits.parquet"
        report = cli_json("run", str(tmp_path / "s.toml"), "--format", "json", "--claims-out", str(out), *extra)
        got = pq.read_table(out)
        assert got.schema.equals(expected.claims.schema), (got.schema, expected.claims.schema)
        assert got.equals(expected.claims), extra
        assert report["supplementary"]["claims_out"]["rows"] == 20_000
        assert "claims" not in report["supplementary"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.parquet", "s.toml", "splits.parquet"]
    fen = tmp_path / "fen.parquet"
    cli("run", str(tmp_path / "s.toml"), "--format", "json", "--claims-out", str(fen), "--claims-money", "fen")
    assert pq.read_table(fen).equals(medfund.split_claims(table, insured_persons=1000, money="fen").claims)


def _table_with_person(person: pa.Array) -> pa.Table:
    n = len(person)
    return pa.Table.from_arrays(
        [
            person,
            pa.array([dt.date(2024, 3, 1)] * n, pa.date32()),
            pa.array([Decimal("100.00")] * n, pa.decimal128(18, 2)),
        ],
        names=["person", "date", "eligible_cost"],
    )


@pytest.mark.parametrize(
    "what, person",
    [
        # Offsets that go back (2 after 4): read as they are, a slice of negative length.
        ("decreasing offsets", pa.Array.from_buffers(
            pa.string(), 3, [None, pa.py_buffer(np.array([0, 4, 2, 6], np.int32).tobytes()), pa.py_buffer(b"abcdef")])),
        ("invalid UTF-8", pa.Array.from_buffers(
            pa.string(), 1, [None, pa.py_buffer(np.array([0, 2], np.int32).tobytes()), pa.py_buffer(b"\xff\xfe")])),
        ("a view past its buffer", pa.Array.from_buffers(
            pa.string_view(), 1,
            # A 16-byte view: length 20, prefix "abcd", buffer 0, offset 1000 (the buffer holds 24 bytes).
            [None, pa.py_buffer(np.array([20], np.int32).tobytes() + b"abcd" + np.array([0, 1000], np.int32).tobytes()),
             pa.py_buffer(b"x" * 24)])),
    ],
)
def test_invalid_arrow_arrays_are_input_errors_not_crashes(what, person):
    """#36 (21): every imported array is validated in full before it is read."""
    table = _table_with_person(person)
    for call in (
        lambda: medfund.split_claims(table, insured_persons=1),
        lambda: medfund._medfund.person_buckets(table, 4),
    ):
        with pytest.raises(medfund.InputError, match=r"claims\.person: rows 0 to \d+ .*not a valid Arrow array"):
            call()
