"""The study of docs/python.md: probability of an actuarial review within
the ten projected years (cumulative), against the levy rate and the cap
multiple.

    python docs/python/levy_cap_study.py        # writes docs/python/levy-cap.png
"""

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import medfund

here = pathlib.Path(__file__).resolve().parent
scenario = here.parents[1] / "examples" / "projection.toml"
levy = ["4%", "6%", "8%", "10%", "12%", "15%"]
caps = ["0.5", "1", "1.5", "2"]
study = medfund.sweep(scenario, {"riskpool.policy.levy_rate": levy, "riskpool.policy.cap_multiple": caps})
risk = "projection.resident.2033.p_review_cumulative"  # a review in any year to 2033
table = study.pivot(index="riskpool.policy.levy_rate", columns="riskpool.policy.cap_multiple", values=risk)
table = table.loc[levy, caps]
print(table)

fig, ax = plt.subplots(figsize=(6, 3.6))
for cap in caps:
    ax.plot([float(l.rstrip("%")) for l in levy], table[cap], marker="o", label=f"cap × {cap}")
ax.set_xlabel("levy rate (%)")
ax.set_ylabel("P(actuarial review by 2033), resident")
ax.set_title("Risk-sharing fund, 10,000 trials per variant")
ax.legend()
fig.tight_layout()
fig.savefig(here / "levy-cap.png", dpi=110)
