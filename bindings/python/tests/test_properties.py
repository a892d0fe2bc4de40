"""Hypothesis: for random scenarios, run(dict) is the command's JSON for the
same document, error for error."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from decimal import Decimal

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import medfund
from conftest import medfund_bin

money = st.one_of(
    st.integers(min_value=0, max_value=10**9),
    st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=10**11).map(lambda f: f"{Decimal(f).scaleb(-2)}"),
    st.integers(min_value=0, max_value=10**11).map(lambda f: f / 100),
)
# Now and then a value the format refuses: a float with more than two decimals, a negative amount.
money = st.one_of(money, money, money, money, st.floats(allow_nan=False, allow_infinity=False), st.integers(max_value=-1))
ids = st.sampled_from(["a", "b", "c", "县一", "d-2"])
rate = st.sampled_from(["5%", "8%", "10%", "0.085", "120%", 0.1])

unit = st.fixed_dictionaries(
    {"id": ids, "scheme": st.sampled_from(["employee", "resident"]), "revenue": money, "expenditure": money},
    optional={"rolling_surplus": money},
)
riskpool = st.fixed_dictionaries(
    {"year": st.integers(min_value=2019, max_value=2031), "units": st.lists(unit, max_size=4)},
    optional={"policy": st.fixed_dictionaries({}, optional={"levy_rate": rate, "cap_multiple": st.sampled_from(["1", "1.5", 2])})},
)
claim = st.fixed_dictionaries(
    {"person": ids, "date": st.one_of(st.dates(dt.date(2005, 1, 1), dt.date(2030, 12, 31)), st.dates()).map(lambda d: d.isoformat()), "eligible_cost": money}
)
supplementary = st.fixed_dictionaries(
    {"insured_persons": st.integers(min_value=0, max_value=10**6), "claims": st.lists(claim, max_size=6)}
)
institution = st.fixed_dictionaries(
    {
        "id": ids,
        "level": st.sampled_from(["primary", "secondary", "tertiary"]),
        "chronic_care_score": st.one_of(st.integers(min_value=0, max_value=100), st.integers(min_value=-5, max_value=105)),
        "workload": st.integers(min_value=0, max_value=1000),
    }
)
surplus = st.fixed_dictionaries({"total": money, "institutions": st.lists(institution, max_size=4)})
scenario = st.fixed_dictionaries({}, optional={"riskpool": riskpool, "supplementary": supplementary, "surplus": surplus})


def cli_run(doc: dict):
    text = medfund._input.to_json(doc).encode()
    done = subprocess.run(
        [medfund_bin(), "--error-format", "json", "run", "-", "--format", "json"], input=text, capture_output=True
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


@settings(max_examples=int(os.environ.get("MEDFUND_HYPOTHESIS_EXAMPLES", "150")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(scenario)
def test_run_of_a_dict_is_the_cli_json_of_the_same_document(doc):
    code, stdout, stderr = cli_run(doc)
    try:
        report = medfund.run(doc)
    except medfund.InputError as e:
        event(f"refused: {e.code}")
        assert code == 2, (doc, stdout)
        cli_errors = json.loads(stderr)
        assert [x.get("path") for x in e.errors] == [x.get("path") for x in cli_errors]
        assert [x["code"] for x in e.errors] == [x["code"] for x in cli_errors]
        return
    event("computed")
    assert code == 0, (doc, stderr)
    assert report.to_json() == stdout
