"""The scenario functions against the `medfund` command on the same input."""

from __future__ import annotations

import json
import pathlib
from decimal import Decimal

import pandas as pd
import pytest

import medfund
from conftest import EXAMPLES, cli, cli_json

DEMO = EXAMPLES / "demo.toml"
PROJECTION = EXAMPLES / "projection.toml"


def demo_dict() -> dict:
    return json.loads(medfund._medfund.document("path", str(DEMO)))


def test_run_gives_the_cli_json_byte_for_byte_from_a_path_a_dict_toml_and_json():
    expected = cli("run", str(DEMO), "--format", "json").decode()
    assert medfund.run(DEMO).to_json() == expected
    assert medfund.run(str(DEMO)).to_json() == expected
    assert medfund.run(demo_dict()).to_json() == expected
    assert medfund.run(DEMO.read_text()).to_json() == expected
    assert medfund.run(json.dumps(demo_dict())).to_json() == expected
    explained = cli("run", str(DEMO), "--format", "json", "--explain").decode()
    report = medfund.run(DEMO, explain=True)
    assert report.to_json() == explained
    assert report.trace and report.trace[0]["figure"].startswith("/")
    assert medfund.run(DEMO).trace == []


def test_to_dict_is_the_contract_json():
    d = medfund.run(DEMO).to_dict()
    assert d["format"] == "medfund-report/1"
    assert d["riskpool"]["schemes"]["employee"]["levy"] == "26830000.00"


def test_tables_are_dataframes_with_decimal_money_in_either_language():
    report = medfund.run(DEMO)
    en = report.tables(lang="en")
    zh = report.tables(lang="zh")
    assert set(en) == set(zh)
    units = en["riskpool_employee_units"]
    money = [c for c in units.columns if units[c].map(lambda v: isinstance(v, Decimal)).all()]
    assert money, units.dtypes
    assert units.attrs["title"]
    fen = report.tables(lang="en", money="fen")["riskpool_employee_units"]
    for column in money:
        assert [int(v.scaleb(2)) for v in units[column]] == list(fen[column])
    # The same rows as the CSV report of the command.
    csv = cli("run", str(DEMO), "--format", "csv").decode()
    assert "# riskpool_employee_units" in csv
    assert report.render("csv") == csv
    assert report.render("table", "en") == cli("run", str(DEMO), "--format", "table", "--lang", "en").decode()


def test_check_lists_sections_and_raises_every_error():
    assert medfund.check(DEMO) == ["riskpool", "assistance", "supplementary", "surplus"]
    bad = {
        "surplus": {
            "total": "100",
            "institutions": [{"id": "a", "level": "primary", "chronic_care_score": 80, "workload": 1}],
            "spending": [{"institution": "a", "category": "yachts", "amount": "1"}],
        },
        "supplementary": {"insured_persons": 0},
    }
    with pytest.raises(medfund.InputError) as e:
        medfund.check(bad)
    paths = [x["path"] for x in e.value.errors]
    assert any(p.startswith("surplus") for p in paths) and any(p.startswith("supplementary") for p in paths)
    assert e.value.line is None  # a dict has no lines


def test_errors_carry_path_line_column_and_code():
    with pytest.raises(medfund.InputError) as e:
        medfund.run("[riskpool]\nyear = 2023\nbogus = 1\n")
    assert (e.value.path, e.value.code, e.value.line, e.value.column) == ("riskpool.bogus", "unknown-field", 3, 1)
    assert isinstance(e.value, ValueError)
    with pytest.raises(medfund.InputError) as e:
        medfund.run({"riskpool": {"year": 20}})
    assert e.value.path == "riskpool.year" and e.value.expected == "a year from 1900 to 2999"


def test_a_claim_outside_the_policy_is_not_in_force():
    doc = {"supplementary": {"insured_persons": 1, "claims": [{"person": "a", "date": "1999-05-01", "eligible_cost": 1}]}}
    with pytest.raises(medfund.NotInForceError) as e:
        medfund.run(doc)
    assert e.value.path == "supplementary.claims[0].date"
    assert isinstance(e.value, medfund.InputError)


def surplus(total) -> dict:
    return {"surplus": {"total": total, "institutions": [{"id": "a", "level": "primary", "chronic_care_score": 80, "workload": 1}]}}


def test_money_accepts_decimal_int_text_and_floats_that_round_trip_only():
    expected = medfund.run(surplus("1234.50")).to_json()
    assert medfund.run(surplus(Decimal("1234.50"))).to_json() == expected
    assert medfund.run(surplus(1234.5)).to_json() == expected
    assert medfund.run(surplus(1234)).to_json() == medfund.run(surplus("1234")).to_json()
    for bad in (0.1 + 0.2, 1234.567, Decimal("1.001")):
        with pytest.raises(medfund.InputError) as e:
            medfund.run(surplus(bad))
        assert e.value.path == "surplus.total", e.value
    for bad in (float("nan"), float("inf"), Decimal("NaN")):
        with pytest.raises(medfund.InputError) as e:
            medfund.run(surplus(bad))
        assert e.value.path == "surplus.total"


def test_a_dataframe_may_stand_for_a_list():
    claims = pd.DataFrame(
        {"person": ["a", "b"], "date": ["2024-03-01", "2024-04-01"], "eligible_cost": [Decimal("60000"), Decimal("1.50")]}
    )
    doc = {"supplementary": {"insured_persons": 10, "claims": claims}}
    rows = claims.assign(eligible_cost=claims["eligible_cost"].astype(str)).to_dict(orient="records")
    assert medfund.run(doc).to_json() == medfund.run({"supplementary": {"insured_persons": 10, "claims": rows}}).to_json()


def test_simulate_is_the_cli_projection():
    frame = medfund.simulate(PROJECTION)
    doc = cli_json("simulate", str(PROJECTION), "--format", "json")["projection"]
    assert frame.attrs == {"trials": doc["trials"], "seed": doc["seed"]}
    expected = [
        (scheme, y["year"], Decimal(y["closing_balance"]["p50"]), y["p_actuarial_review"])
        for scheme, years in doc["schemes"].items()
        for y in years
    ]
    got = list(frame[["scheme", "year", "p50", "p_actuarial_review"]].itertuples(index=False, name=None))
    assert got == expected


def test_simulate_gives_the_cumulative_risk_errors_and_quantiles_of_the_cli():
    import tomllib

    doc = tomllib.loads(PROJECTION.read_text(encoding="utf-8"))
    doc["projection"]["quantiles"] = [25, 75]
    frame = medfund.simulate(doc)
    cli_doc = cli_json("simulate", str(PROJECTION), "--format", "json", "--quantiles", "25,75")["projection"]
    rows = [(scheme, y) for scheme, years in cli_doc["schemes"].items() for y in years]
    assert len(frame) == len(rows)
    for (scheme, y), (_, row) in zip(rows, frame.iterrows()):
        assert (row["scheme"], row["year"]) == (scheme, y["year"])
        for key in ("p_review_cumulative", "p_review_cumulative_se", "p_first_review", "p_actuarial_review_se"):
            assert row[key] == y[key]
        assert row["mean_closing_balance"] == Decimal(y["mean_closing_balance"])
        assert row["mean_closing_balance_se"] == Decimal(y["mean_closing_balance_se"])
        assert [row["closing_p25"], row["unresolved_p75"]] == [
            Decimal(y["quantiles"][0]["closing_balance"]),
            Decimal(y["quantiles"][1]["unresolved"]),
        ]
    # The risk of a review within the projection never falls from year to year.
    for _, scheme in frame.groupby("scheme"):
        assert scheme["p_review_cumulative"].is_monotonic_increasing


def test_compare_finds_the_figures_that_differ():
    base = demo_dict()
    variant = json.loads(json.dumps(base))
    variant["riskpool"].setdefault("policy", {})["levy_rate"] = "12%"
    frame = medfund.compare(base, variant)
    levy = frame.set_index("path").loc["riskpool.schemes.employee.levy"]
    assert (levy["base"], levy["variant"]) == (Decimal("26830000.00"), Decimal("32196000.00"))
    assert levy["difference"] == Decimal("5366000.00")
    assert frame.attrs["identical"] > 0


def test_sweep_is_the_cli_sweep():
    frame = medfund.sweep(DEMO, {"riskpool.policy.levy_rate": ["5%", "10%"], "riskpool.policy.cap_multiple": [1, "1.5"]})
    rows = cli_json(
        "sweep", str(DEMO), "--set", "riskpool.policy.levy_rate=5%,10%", "--set", "riskpool.policy.cap_multiple=1,1.5",
        "--format", "json",
    )["sweep"]["rows"]
    assert len(frame) == len(rows) == 4
    for (_, got), want in zip(frame.iterrows(), rows):
        for name, value in want["figures"].items():
            numeric = isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit()
            expected = Decimal(value) if numeric else value
            assert got[name] == expected, name
    with pytest.raises(ValueError):
        medfund.sweep(DEMO, {})


def test_sweep_links_settings_like_the_cli():
    """Contract §9 linked settings: `link` is `medfund sweep --link`."""
    settings = {"riskpool.policy.levy_rate": ["5%", "10%"], "riskpool.policy.cap_multiple": [1, "1.5"]}
    link = [["riskpool.policy.levy_rate", "riskpool.policy.cap_multiple"]]
    frame = medfund.sweep(DEMO, settings, link=link)
    rows = cli_json(
        "sweep", str(DEMO), "--set", "riskpool.policy.levy_rate=5%,10%", "--set", "riskpool.policy.cap_multiple=1,1.5",
        "--link", "riskpool.policy.levy_rate,riskpool.policy.cap_multiple", "--format", "json",
    )["sweep"]["rows"]
    assert len(frame) == len(rows) == 2
    assert [str(v) for v in frame["riskpool.employee.levy"]] == [r["figures"]["riskpool.employee.levy"] for r in rows]
    assert list(frame["riskpool.policy.levy_rate"]) == ["5%", "10%"]
    with pytest.raises(medfund.InputError, match="as many values for every linked path"):
        medfund.sweep(DEMO, {**settings, "riskpool.policy.cap_multiple": [1]}, link=link)
    with pytest.raises(medfund.InputError, match="is not swept"):
        medfund.sweep(DEMO, settings, link=[["riskpool.policy.levy_rate", "riskpool.policy.x"]])
    with pytest.raises(ValueError, match="link"):
        medfund.sweep(DEMO, settings, link=["riskpool.policy.levy_rate"])


def test_policies_is_the_registry():
    frame = medfund.policies()
    assert list(frame["id"]) == [p["id"] for p in json.loads(cli("policies", "--format", "json"))]


def test_paths_read_csv_lists_relative_to_the_file(tmp_path: pathlib.Path):
    (tmp_path / "claims.csv").write_text("person,date,eligible_cost\na,2024-03-01,60000\n")
    (tmp_path / "s.toml").write_text('[supplementary]\ninsured_persons = 5\nclaims_csv = "claims.csv"\n')
    assert medfund.run(tmp_path / "s.toml").to_json() == cli("run", str(tmp_path / "s.toml"), "--format", "json").decode()


def test_sweep_of_a_path_reads_its_lists_relative_to_the_file(tmp_path: pathlib.Path):
    (tmp_path / "claims.csv").write_text("person,date,eligible_cost\na,2024-03-01,60000\n")
    (tmp_path / "s.toml").write_text('[supplementary]\ninsured_persons = 5\nclaims_csv = "claims.csv"\n')
    frame = medfund.sweep(tmp_path / "s.toml", {"supplementary.policy.fund_cap": ["50000", "53000"]})
    rows = cli_json(
        "sweep", str(tmp_path / "s.toml"), "--set", "supplementary.policy.fund_cap=50000,53000", "--format", "json"
    )["sweep"]["rows"]
    assert [str(v) for v in frame["supplementary.claims_paid"]] == [r["figures"]["supplementary.claims_paid"] for r in rows]


def test_lists_given_by_name_stand_for_the_files_and_nothing_is_read_from_disk(tmp_path: pathlib.Path):
    csv = "person,date,eligible_cost\na,2024-03-01,60000\nb,2024-04-01,1.50\n"
    (tmp_path / "claims.csv").write_text(csv)
    (tmp_path / "s.toml").write_text('[supplementary]\ninsured_persons = 5\nclaims_csv = "claims.csv"\n')
    expected = cli("run", str(tmp_path / "s.toml"), "--format", "json").decode()
    text = '[supplementary]\ninsured_persons = 5\nclaims_csv = "claims.csv"\n'
    frame = pd.DataFrame({"person": ["a", "b"], "date": ["2024-03-01", "2024-04-01"], "eligible_cost": ["60000", "1.50"]})
    for given in (csv, csv.encode(), frame):
        report = medfund.run(text, lists={"claims.csv": given})
        assert report.to_json() == expected.replace(str(tmp_path / "claims.csv"), "claims.csv")
    assert medfund.check(text, lists={"claims.csv": csv}) == ["supplementary"]
    # Given lists replace the folder: a file on disk is not read even when it exists.
    with pytest.raises(medfund.InputError) as e:
        medfund.run(tmp_path / "s.toml", lists={"other.csv": csv})
    assert e.value.path == "supplementary.claims_csv"
    assert 'no list named "claims.csv"' in str(e.value) and '"other.csv"' in str(e.value)
    # A bad row is reported at its line of the list, by the list's name.
    with pytest.raises(medfund.InputError) as e:
        medfund.run(text, lists={"claims.csv": "person,date,eligible_cost\na,2024-13-01,1\n"})
    assert (e.value.file, e.value.line) == ("claims.csv", 2)
    with pytest.raises(TypeError):
        medfund.run(text, lists={"claims.csv": 5})
    frame = medfund.sweep(text, {"supplementary.policy.fund_cap": ["50000", "53000"]}, lists={"claims.csv": csv})
    assert len(frame) == 2


def test_lists_in_parquet_and_arrow_give_the_figures_of_the_csv_list(tmp_path: pathlib.Path):
    """Contract: any list may come from Parquet or Arrow (`employees_parquet`),
    the same columns as its CSV; a DataFrame or pyarrow Table given under a
    Parquet or Arrow name is written in that format, and the CLI reads the
    same file from disk."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    head = '[contributions]\nyear = 2024\naverage_wage = "8.5万"\nfigures = "personal"\n'
    csv = "id,base_rule,wage,birth_year\ne-001,wage,42000,1996\ne-002,average-wage,,1970\n"
    expected = medfund.run(head + 'employees_csv = "e.csv"\n', lists={"e.csv": csv}).to_json()
    frame = pd.DataFrame(
        {
            "id": ["e-001", "e-002"],
            "base_rule": ["wage", "average-wage"],
            "wage": [Decimal("42000"), None],
            "birth_year": [1996, 1970],
        }
    )
    for ext in ("parquet", "arrow"):
        text = head + f'employees_{ext} = "e.{ext}"\n'
        for given in (frame, pa.Table.from_pandas(frame, preserve_index=False)):
            assert medfund.run(text, lists={f"e.{ext}": given}).to_json() == expected
    # The CLI reads the same Parquet file from disk, figure for figure.
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "e.parquet")
    (tmp_path / "s.toml").write_text(head + 'employees_parquet = "e.parquet"\n')
    report = cli_json("run", str(tmp_path / "s.toml"), "--format", "json")
    assert report["contributions"] == json.loads(expected)["contributions"]
    # Money as floats is refused, naming the column.
    floats = frame.assign(wage=[42000.0, None])
    with pytest.raises(medfund.InputError, match="column wage is of type Float64") as e:
        medfund.run(head + 'employees_parquet = "e.parquet"\n', lists={"e.parquet": floats})
    assert e.value.file == "e.parquet"
    with pytest.raises(TypeError):
        medfund.run(head + 'employees_parquet = "e.parquet"\n', lists={"e.parquet": "id\ne-1\n"})


def test_help_is_useful():
    assert "InputError" in medfund.run.__doc__ and "dict" in medfund.run.__doc__


def test_the_contributions_section_is_the_cli_report_and_its_tables():
    path = EXAMPLES / "contributions.toml"
    report = medfund.run(path)
    assert report.to_json() == cli("run", str(path), "--format", "json").decode()
    tables = report.tables(lang="en")
    funds = tables["contributions_funds"]["value"].tolist()
    assert funds[:4] == [Decimal("21321.00"), Decimal("21777.00"), Decimal("23228000.00"), Decimal("3400.00")]
    assert tables["contributions_employee_rows"]["account"].sum() == Decimal("21777.00")


def test_the_revenue_link_and_the_one_stop_settlement_are_the_cli_reports():
    for name in ["revenue-to-riskpool.toml", "one-stop.toml"]:
        path = EXAMPLES / name
        report = medfund.run(path)
        assert report.to_json() == cli("run", str(path), "--format", "json").decode()
    tables = medfund.run(EXAMPLES / "one-stop.toml").tables(lang="en")
    claims = tables["supplementary_claims"]
    parts = ["fund", "insurer", "civil-servant subsidy", "civil-servant, beyond the maximum", "hardship subsidy", "person pays"]
    # Every claim's parts sum to its cost, read back from the person-years.
    assert claims[parts].sum().sum() == tables["supplementary_person_years"]["eligible cost"].sum()
    assert tables["supplementary_civil_servant_levy"]["value"].tolist()[1] == Decimal("8400000.00")
    linked = medfund.run(EXAMPLES / "revenue-to-riskpool.toml").tables(lang="en")
    assert linked["contributions_units"]["employee pooling"].tolist() == [Decimal("13689.00"), Decimal("2228.00")]


def test_the_demo_is_the_cli_demo():
    assert medfund.demo().to_json() == cli("demo", "--format", "json").decode()
    assert "[riskpool]" in medfund.DEMO


def test_shards_of_the_cli_and_of_python_merge_into_the_one_process_projection(tmp_path):
    """Contract §8 "Many trials": pass files of `medfund simulate --trials-from`
    and of `simulate_shard` are the same bytes and merge into `simulate`'s frame."""
    trials = json.loads(medfund._medfund.document("path", str(PROJECTION)))["projection"]["trials"]
    cut = trials // 3
    expected = medfund.simulate(PROJECTION)
    plan = None
    for _pass in range(6):
        plan_args = [] if plan is None else ["--plan", str(tmp_path / "plan")]
        if plan is not None:
            (tmp_path / "plan").write_bytes(plan)
        out = tmp_path / "cli.pass"
        cli("simulate", str(PROJECTION), "--trials-from", "0", "--trials-to", str(cut), "--pass-out", str(out), *plan_args)
        from_cli = out.read_bytes()
        assert from_cli == medfund.simulate_shard(PROJECTION, 0, cut, plan=plan)
        rest = medfund.simulate_shard(PROJECTION, cut, trials, plan=plan)
        with pytest.raises(medfund.InputError, match="trials"):
            medfund.merge_shards(PROJECTION, [rest], plan=plan)
        plan, frame = medfund.merge_shards(PROJECTION, [rest, from_cli], plan=plan)
        if frame is not None:
            break
    assert frame is not None
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.attrs == expected.attrs


def test_simulate_writes_the_paths_of_the_cli_and_the_cumulative_risk_is_their_share(tmp_path: pathlib.Path):
    """Contract §8 trial paths: `simulate(paths=…)` writes the rows of
    `medfund simulate --paths`, and the share of trials with a review by each
    year is `p_review_cumulative`."""
    frame = medfund.simulate(PROJECTION, paths=tmp_path / "py.csv")
    cli("simulate", str(PROJECTION), "--format", "json", "--paths", str(tmp_path / "cli.csv"))
    assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert frame.equals(medfund.simulate(PROJECTION))
    medfund.simulate(PROJECTION, paths=tmp_path / "p.parquet", paths_money="fen")
    paths = pd.read_parquet(tmp_path / "p.parquet")
    assert str(paths["closing_balance"].dtype) == "int64"
    trials = frame.attrs["trials"]
    assert paths["trial"].nunique() == trials
    for (scheme, year), row in frame.set_index(["scheme", "year"]).iterrows():
        mine = paths[(paths["scheme"] == scheme) & (paths["year"] <= year)]
        reviewed = mine.groupby("trial")["actuarial_review"].any().sum()
        assert reviewed / trials == pytest.approx(row["p_review_cumulative"], abs=1e-12)
    with pytest.raises(ValueError, match="paths_money"):
        medfund.simulate(PROJECTION, paths=tmp_path / "x.csv", paths_money="cents")
    with pytest.raises(medfund.InputError, match="x.txt"):
        medfund.simulate(PROJECTION, paths=tmp_path / "x.txt")
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.txt").exists()


def test_per_unit_statistics_are_the_cli_units_figure_for_figure():
    """Contract §8 per-unit statistics: `simulate(per_unit=True)` gives the
    schemes' frame unchanged and one row per unit and year of `medfund
    simulate --per-unit`."""
    schemes, units = medfund.simulate(PROJECTION, per_unit=True)
    pd.testing.assert_frame_equal(schemes, medfund.simulate(PROJECTION))
    doc = cli_json("simulate", str(PROJECTION), "--format", "json", "--per-unit")["projection"]
    rows = [(u, y) for u in doc["units"] for y in u["years"]]
    assert len(units) == len(rows) > 0
    for (u, y), (_, row) in zip(rows, units.iterrows()):
        assert (row["scheme"], row["unit"], row["name"], row["year"]) == (u["scheme"], u["id"], u.get("name"), y["year"])
        for key in ("p_gap", "p_unresolved", "p_unresolved_cumulative", "p_first_unresolved"):
            assert (row[key], row[key + "_se"]) == (y[key], y[key + "_se"])
        for key in ("mean_from_risk_fund", "mean_unresolved"):
            assert row[key] == Decimal(y[key])
            assert row[key + "_se"] == Decimal(y[key + "_se"])
    assert units.attrs == {"trials": doc["trials"], "seed": doc["seed"]}
    # In fen: the same amounts as integers.
    fen = medfund.simulate(PROJECTION, per_unit=True, money="fen").units
    assert list(fen["mean_unresolved"]) == [int(Decimal(y["mean_unresolved"]) * 100) for _, y in rows]
    # A unit's risk of an unresolved gap within the projection never falls.
    for _, unit in units.groupby(["scheme", "unit"]):
        assert unit["p_unresolved_cumulative"].is_monotonic_increasing
    assert "unit-years" in repr(medfund.simulate(PROJECTION, per_unit=True))


def test_per_unit_shards_merge_into_the_one_process_result_and_do_not_mix_with_others(tmp_path):
    trials = json.loads(medfund._medfund.document("path", str(PROJECTION)))["projection"]["trials"]
    expected = medfund.simulate(PROJECTION, per_unit=True)
    out = tmp_path / "cli.pass"
    cli("simulate", str(PROJECTION), "--per-unit", "--trials-from", "0", "--trials-to", "100", "--pass-out", str(out))
    assert out.read_bytes() == medfund.simulate_shard(PROJECTION, 0, 100, per_unit=True)
    plain = medfund.simulate_shard(PROJECTION, 0, trials)
    with pytest.raises(medfund.InputError, match="another projection"):
        medfund.merge_shards(PROJECTION, [plain], per_unit=True)
    plan, result = None, None
    for _pass in range(6):
        parts = [medfund.simulate_shard(PROJECTION, a, b, plan=plan, per_unit=True) for a, b in ((0, 100), (100, trials))]
        plan, result = medfund.merge_shards(PROJECTION, parts, plan=plan, per_unit=True)
        if result is not None:
            break
    assert isinstance(result, medfund.ProjectionResult)
    pd.testing.assert_frame_equal(result.schemes, expected.schemes)
    pd.testing.assert_frame_equal(result.units, expected.units)
    # Without a [projection] there is nothing to ask units of.
    # The error names the section, not a command-line flag.
    with pytest.raises(medfund.InputError, match=r"no \[projection\] section") as e:
        medfund.simulate(DEMO, per_unit=True)
    assert e.value.path == "projection" and "--" not in str(e.value), e.value
