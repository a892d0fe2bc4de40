"""Figures for docs/benchmarks.md ("Python"): split_claims on a 10^6-row
Arrow table, a sweep of 1,000 combinations, and the Ray runs against one
process. Run from the repository root after `pip install ./bindings/python[ray]`:

    python bindings/python/benches/bench.py [--claims 1000000] [--no-ray]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import time

import numpy as np
import pyarrow as pa

import medfund

ROOT = pathlib.Path(__file__).resolve().parents[3]


def claims(n: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    person = np.char.add("p", rng.integers(0, max(1, n // 5), n).astype(str))  # 200,000 persons per 10^6 claims
    date = (np.datetime64("2023-01-01") + rng.integers(0, 1_000, n)).astype("datetime64[D]")
    fen = rng.integers(0, 3_000_000, n)
    # decimal128(18, 2) from the fen directly: the fen is the unscaled value.
    words = np.zeros(2 * n, np.int64)
    words[0::2] = fen
    words[1::2] = np.where(fen < 0, -1, 0)
    cost = pa.Array.from_buffers(pa.decimal128(18, 2), n, [None, pa.py_buffer(words)])
    ids = rng.integers(0, max(1, n // 5), n)
    return pa.table(
        {"person": person, "id": ids, "date": pa.array(date, pa.date32()), "eligible_cost": cost, "fen": fen}
    )


def best(f, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--claims", type=int, default=1_000_000)
    ap.add_argument("--no-ray", action="store_true")
    a = ap.parse_args()
    table = claims(a.claims)
    dec = table.select(["person", "date", "eligible_cost"])
    fen = table.select(["person", "date", "fen"]).rename_columns(["person", "date", "eligible_cost"])
    ids = table.select(["id", "date", "eligible_cost"]).rename_columns(["person", "date", "eligible_cost"])
    for name, t, money in (
        ("int64 person ids, decimal128 costs", ids, "decimal"),
        ("text person ids, decimal128 costs", dec, "decimal"),
        ("text person ids, int64 fen costs", fen, "fen"),
    ):
        lo, med = best(lambda: medfund.split_claims(t, insured_persons=1_000_000, money=money))
        print(f"split_claims {a.claims:,} claims, {name}: best {lo * 1e3:.0f} ms ({a.claims / lo / 1e6:.1f} M claims/s), median {med * 1e3:.0f} ms")
    demo = ROOT / "examples" / "demo.toml"
    settings = {
        "riskpool.policy.levy_rate": [f"{r}%" for r in range(1, 11)],
        "riskpool.policy.cap_multiple": ["0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"],
        "surplus.policy.primary_floor": [f"{p}%" for p in range(5, 96, 10)],
    }
    lo, med = best(lambda: medfund.sweep(demo, settings), runs=3)
    print(f"sweep of 1,000 combinations of the demo: best {lo:.2f} s, median {med:.2f} s")
    projection = ROOT / "examples" / "projection.toml"
    lo, _ = best(lambda: medfund.simulate(projection), runs=3)
    print(f"simulate examples/projection.toml, one process: {lo * 1e3:.0f} ms")
    if a.no_ray:
        return
    import ray

    from medfund import ray as medfund_ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    ray.data.DataContext.get_current().enable_progress_bars = False
    medfund_ray.simulate(projection, parts=2)  # warm the workers
    lo, _ = best(lambda: medfund_ray.simulate(projection, parts=2), runs=3)
    print(f"simulate examples/projection.toml, Ray (2 CPUs, 2 parts): {lo * 1e3:.0f} ms")
    lo, _ = best(lambda: medfund_ray.sweep(demo, settings, parts=2), runs=3)
    print(f"sweep of 1,000 combinations, Ray (2 CPUs, 2 parts): {lo:.2f} s")
    with_id = dec.append_column("claim_id", pa.array(np.arange(a.claims)))
    lo, _ = best(lambda: medfund_ray.split_claims(with_id, insured_persons=1_000_000), runs=3)
    print(f"split_claims {a.claims:,} claims, Ray Data (2 CPUs, by person): {lo:.2f} s")


if __name__ == "__main__":
    main()
