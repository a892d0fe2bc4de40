//! One fund year of one scheme: levy, charges, cover order, rationing, subsidy.

use medfund_core::{Citation, Money, PolicyHistory, Share, Splitter, Step, Trace};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};
use crate::policy::{LevyBasis, Rationing, RiskPoolPolicy, Scheme};

const DOC: &str = "阿署办发〔2020〕30号";
/// Employee levy and cap.
pub const ART15: Citation = Citation::new(DOC, "第十五条");
/// Resident levy and cap.
pub const ART16: Citation = Citation::new(DOC, "第十六条");
/// Separate books per unit (levy charged to each unit's account).
pub const ART07: Citation = Citation::new(DOC, "第七条");
/// Balance rolls over; fund covers current-year gaps.
pub const ART14: Citation = Citation::new(DOC, "第十四条");
/// Deficit cover order.
pub const ART17: Citation = Citation::new(DOC, "第十七条");
/// Cover order step (1): own rolling surplus.
pub const ART17_1: Citation = Citation::new(DOC, "第十七条（一）");
/// Cover order step (2): the risk fund.
pub const ART17_2: Citation = Citation::new(DOC, "第十七条（二）");
/// Cover order step (3): actuarial review.
pub const ART17_3: Citation = Citation::new(DOC, "第十七条（三）");
/// Cover order step (4): fiscal subsidy.
pub const ART17_4: Citation = Citation::new(DOC, "第十七条（四）");

/// A unit (盟本级 or a banner 旗/区) of one scheme, for one year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Unit {
    /// Unique id within the scheme.
    pub id: String,
    /// Display name (e.g. 阿拉善左旗).
    #[serde(default)]
    pub name: Option<String>,
    /// This unit's current-year fund revenue (employee: pooled-fund revenue).
    pub revenue: Money,
    /// This unit's current-year fund expenditure.
    pub expenditure: Money,
    /// This unit's own accumulated surplus at the start of the year.
    #[serde(default)]
    pub rolling_surplus: Money,
    /// Share of a step-4 fiscal subsidy borne by league finance, if set.
    #[serde(default)]
    pub league_fiscal_share: Option<Share>,
}

impl Unit {
    fn figures(&self) -> UnitFigures {
        UnitFigures {
            revenue: self.revenue,
            expenditure: self.expenditure,
            rolling_surplus: self.rolling_surplus,
            league_fiscal_share: self.league_fiscal_share,
        }
    }
}

/// The figures of a unit that the computation needs, without its id: `Copy`,
/// so batch and Monte Carlo loops allocate nothing per unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UnitFigures {
    /// Current-year revenue.
    pub revenue: Money,
    /// Current-year expenditure.
    pub expenditure: Money,
    /// Own rolling surplus at the start of the year.
    pub rolling_surplus: Money,
    /// League finance's share of a fiscal subsidy, if set.
    pub league_fiscal_share: Option<Share>,
}

/// One scheme's ledger for one year: its opening balance and its units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SchemeInput {
    /// The scheme.
    pub scheme: Scheme,
    /// Risk-fund balance at the start of the year.
    pub opening_balance: Money,
    /// The units, in report order.
    pub units: Vec<Unit>,
}

/// What happened to one unit in the year. `gap = from_own_surplus +
/// from_risk_fund + unresolved`; `fiscal_subsidy_league + fiscal_subsidy_unit
/// = unresolved` when a fiscal share is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct UnitOutcome {
    /// The unit's part of the levy (pro rata to revenue).
    pub levy_charge: Money,
    /// revenue − levy_charge − expenditure.
    pub result: Money,
    /// max(−result, 0).
    pub gap: Money,
    /// Covered from the unit's own rolling surplus (第十七条（一）).
    pub from_own_surplus: Money,
    /// Covered by the risk fund (第十七条（二）).
    pub from_risk_fund: Money,
    /// Left after the fund: needs actuarial review (第十七条（三）).
    pub unresolved: Money,
    /// League finance's part of the fiscal subsidy (第十七条（四）), if a share is known.
    pub fiscal_subsidy_league: Option<Money>,
    /// Unit finance's part of the fiscal subsidy, if a share is known.
    pub fiscal_subsidy_unit: Option<Money>,
    /// rolling_surplus − from_own_surplus + max(result, 0).
    pub closing_rolling_surplus: Money,
}

/// The scheme-level figures of one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SchemeTotals {
    /// Σ revenue of the scheme's units.
    pub revenue_base: Money,
    /// cap_multiple × revenue_base.
    pub cap: Money,
    /// Balance at the start of the year.
    pub opening_balance: Money,
    /// The year's levy.
    pub levy: Money,
    /// Σ from_risk_fund.
    pub draws: Money,
    /// opening_balance + levy − draws.
    pub closing_balance: Money,
    /// True if any unit has an unresolved gap.
    pub actuarial_review: bool,
}

/// One scheme's year: totals and each unit's outcome, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct SchemeYear {
    /// The scheme.
    pub scheme: Scheme,
    /// Scheme-level figures.
    #[serde(flatten)]
    pub totals: SchemeTotals,
    /// Unit ids, parallel to `outcomes`.
    pub unit_ids: Vec<String>,
    /// Unit outcomes, in input order.
    pub outcomes: Vec<UnitOutcome>,
}

/// A whole fund year: the policy used and every scheme present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct FundYear {
    /// The fund year.
    pub year: i32,
    /// The id of the policy version applied.
    pub policy: String,
    /// Schemes in the order given.
    pub schemes: Vec<SchemeYear>,
}

/// The reusable engine for one scheme-year. It keeps scratch buffers, so a
/// loop over many years or trials allocates nothing after the first call.
#[derive(Debug, Default, Clone)]
pub struct SchemeEngine {
    splitter: Splitter,
    weights: Vec<u64>,
    shares: Vec<Money>,
    remaining: Vec<Money>,
}

fn fen_weight(m: Money) -> Result<u64> {
    u64::try_from(m.fen()).map_err(|_| RiskPoolError::NegativeAmount {
        subject: "weight".into(),
        field: "weight",
        value: m.to_string(),
    })
}

impl SchemeEngine {
    /// A new engine.
    pub fn new() -> SchemeEngine {
        SchemeEngine::default()
    }

    /// Computes one scheme-year from plain figures (see the crate docs for the
    /// rule of each step), writing one outcome per unit into `out` (cleared
    /// first). Negative figures are an error naming the unit's position.
    pub fn run(
        &mut self,
        policy: &RiskPoolPolicy,
        opening_balance: Money,
        units: &[UnitFigures],
        out: &mut Vec<UnitOutcome>,
    ) -> Result<SchemeTotals> {
        self.run_named(policy, opening_balance, units, out, "scheme", &|i| format!("unit #{}", i.saturating_add(1)))
    }

    /// [`SchemeEngine::run`], naming the scheme and each unit (by position)
    /// in error messages as the caller knows them.
    fn run_named(
        &mut self,
        policy: &RiskPoolPolicy,
        opening_balance: Money,
        units: &[UnitFigures],
        out: &mut Vec<UnitOutcome>,
        scheme: &str,
        unit_name: &dyn Fn(usize) -> String,
    ) -> Result<SchemeTotals> {
        policy.validate()?;
        check_non_negative(scheme, "opening_balance", opening_balance)?;
        let rounding = policy.rounding;
        let mut revenue_base = Money::ZERO;
        for (i, u) in units.iter().enumerate() {
            for (field, value) in
                [("revenue", u.revenue), ("expenditure", u.expenditure), ("rolling_surplus", u.rolling_surplus)]
            {
                if value.is_negative() {
                    return Err(RiskPoolError::NegativeAmount {
                        subject: unit_name(i),
                        field,
                        value: value.to_string(),
                    });
                }
            }
            revenue_base = revenue_base.checked_add(u.revenue)?;
        }

        // 第十五条 / 第十六条: levy = min(rate × base, max(0, cap − opening)).
        let LevyBasis::CurrentYearRevenue = policy.levy_basis;
        let cap = revenue_base.mul_rate(policy.cap_multiple, rounding)?;
        let full_levy = revenue_base.mul_rate(policy.levy_rate.rate(), rounding)?;
        let room = cap.checked_sub(opening_balance)?.positive_part();
        let levy = full_levy.min(room);

        // 第七条: the levy is charged to each unit's books pro rata to revenue.
        self.shares.clear();
        self.shares.resize(units.len(), Money::ZERO);
        if levy.is_positive() {
            self.weights.clear();
            for u in units {
                self.weights.push(fen_weight(u.revenue)?);
            }
            self.splitter.split_into(levy, &self.weights, &mut self.shares)?;
        }

        // 第十七条（一）: each unit's gap first draws on its own rolling surplus.
        out.clear();
        self.remaining.clear();
        let mut total_remaining = Money::ZERO;
        for (u, &charge) in units.iter().zip(&self.shares) {
            let result = u.revenue.checked_sub(charge)?.checked_sub(u.expenditure)?;
            let gap = result.checked_neg()?.positive_part();
            let from_own_surplus = gap.min(u.rolling_surplus);
            let remaining = gap.checked_sub(from_own_surplus)?;
            total_remaining = total_remaining.checked_add(remaining)?;
            self.remaining.push(remaining);
            out.push(UnitOutcome {
                levy_charge: charge,
                result,
                gap,
                from_own_surplus,
                closing_rolling_surplus: u
                    .rolling_surplus
                    .checked_sub(from_own_surplus)?
                    .checked_add(result.positive_part())?,
                ..UnitOutcome::default()
            });
        }

        // 第十七条（二）: the fund covers what is left, rationed if it cannot cover all.
        let fund = opening_balance.checked_add(levy)?;
        self.shares.clear();
        self.shares.resize(units.len(), Money::ZERO);
        if total_remaining <= fund {
            self.shares.copy_from_slice(&self.remaining);
        } else if fund.is_positive() {
            match policy.rationing {
                Rationing::ProRata => {
                    self.weights.clear();
                    for &r in &self.remaining {
                        self.weights.push(fen_weight(r)?);
                    }
                    self.splitter.split_into(fund, &self.weights, &mut self.shares)?;
                }
                Rationing::InOrder => {
                    let mut left = fund;
                    for (share, &r) in self.shares.iter_mut().zip(&self.remaining) {
                        *share = r.min(left);
                        left = left.checked_sub(*share)?;
                    }
                }
            }
        }

        // 第十七条（三）（四）: what remains is unresolved; the subsidy is split by fiscal share.
        let mut draws = Money::ZERO;
        let mut actuarial_review = false;
        for ((o, u), (&from_fund, &remaining)) in out.iter_mut().zip(units).zip(self.shares.iter().zip(&self.remaining))
        {
            o.from_risk_fund = from_fund;
            o.unresolved = remaining.checked_sub(from_fund)?;
            draws = draws.checked_add(from_fund)?;
            actuarial_review |= o.unresolved.is_positive();
            if let Some(share) = u.league_fiscal_share.or(policy.default_league_fiscal_share) {
                let league = o.unresolved.mul_rate(share.rate(), rounding)?;
                o.fiscal_subsidy_league = Some(league);
                o.fiscal_subsidy_unit = Some(o.unresolved.checked_sub(league)?);
            }
        }

        // 第十四条: the balance rolls over.
        let closing_balance = fund.checked_sub(draws)?;
        Ok(SchemeTotals { revenue_base, cap, opening_balance, levy, draws, closing_balance, actuarial_review })
    }
}

fn check_non_negative(subject: &str, field: &'static str, value: Money) -> Result<()> {
    if value.is_negative() {
        return Err(RiskPoolError::NegativeAmount { subject: subject.into(), field, value: value.to_string() });
    }
    Ok(())
}

/// Computes one scheme's year with the unit ids, checking ids and amounts,
/// and recording every figure in `trace` (when on).
pub fn compute_scheme(policy: &RiskPoolPolicy, input: &SchemeInput, trace: &mut Trace) -> Result<SchemeYear> {
    let mut engine = SchemeEngine::new();
    compute_scheme_with(&mut engine, policy, input, trace)
}

fn compute_scheme_with(
    engine: &mut SchemeEngine,
    policy: &RiskPoolPolicy,
    input: &SchemeInput,
    trace: &mut Trace,
) -> Result<SchemeYear> {
    let scheme = input.scheme;
    let mut seen = std::collections::HashSet::with_capacity(input.units.len());
    for u in &input.units {
        if !seen.insert(u.id.as_str()) {
            return Err(RiskPoolError::DuplicateUnit { scheme: scheme.key().into(), id: u.id.clone() });
        }
    }
    let figures: Vec<UnitFigures> = input.units.iter().map(Unit::figures).collect();
    let mut outcomes = Vec::with_capacity(figures.len());
    let unit_name = |i: usize| {
        input.units.get(i).map_or_else(|| format!("unit #{}", i.saturating_add(1)), |u| format!("unit {:?}", u.id))
    };
    let totals = engine.run_named(policy, input.opening_balance, &figures, &mut outcomes, scheme.key(), &unit_name)?;
    if trace.is_on() {
        trace_scheme(policy, input, &totals, &outcomes, trace);
    }
    Ok(SchemeYear { scheme, totals, unit_ids: input.units.iter().map(|u| u.id.clone()).collect(), outcomes })
}

fn trace_scheme(
    policy: &RiskPoolPolicy,
    input: &SchemeInput,
    t: &SchemeTotals,
    outcomes: &[UnitOutcome],
    trace: &mut Trace,
) {
    let s = input.scheme.key();
    let levy_rule = match input.scheme {
        Scheme::Employee => ART15,
        Scheme::Resident => ART16,
    };
    let p = |field: &str| format!("/riskpool/schemes/{s}/{field}");
    trace.record(|| {
        Step::new(
            p("revenue_base"),
            levy_rule.clone(),
            "Σ revenue of the scheme's units (league-wide current-year revenue)",
        )
        .zh("本险种各统筹单位收入合计（全盟当年收入）")
        .input("units", input.units.len())
        .result(t.revenue_base)
    });
    trace.record(|| {
        Step::new(p("cap"), levy_rule.clone(), "cap_multiple × revenue_base, rounded to the fen")
            .zh("上限倍数 × 收入基数，四舍五入到分")
            .input("cap_multiple", policy.cap_multiple)
            .input("revenue_base", t.revenue_base)
            .result(t.cap)
    });
    trace.record(|| {
        Step::new(
            p("levy"),
            levy_rule.clone(),
            "min(levy_rate × revenue_base rounded to the fen, max(0, cap − opening_balance))",
        )
        .zh("min(提取比例 × 收入基数（四舍五入到分）, max(0, 上限 − 年初余额))")
        .input("levy_rate", policy.levy_rate)
        .input("revenue_base", t.revenue_base)
        .input("cap", t.cap)
        .input("opening_balance", t.opening_balance)
        .result(t.levy)
    });
    for (i, (u, o)) in input.units.iter().zip(outcomes).enumerate() {
        let up = |field: &str| format!("/riskpool/schemes/{s}/units/{i}/{field}");
        trace.record(|| {
            Step::new(up("levy_charge"), ART07, "levy × revenue ÷ revenue_base, largest remainder to the fen")
                .zh("提取额 × 本单位收入 ÷ 收入基数，最大余数法分配到分")
                .input("unit", &u.id)
                .input("levy", t.levy)
                .input("revenue", u.revenue)
                .input("revenue_base", t.revenue_base)
                .result(o.levy_charge)
        });
        trace.record(|| {
            Step::new(up("result"), ART17, "revenue − levy_charge − expenditure; a negative result is a gap")
                .zh("收入 − 分摊提取额 − 支出；为负即为缺口")
                .input("revenue", u.revenue)
                .input("levy_charge", o.levy_charge)
                .input("expenditure", u.expenditure)
                .result(o.result)
        });
        trace.record(|| {
            Step::new(up("from_own_surplus"), ART17_1, "min(gap, rolling_surplus)")
                .zh("min(缺口, 本单位历年滚存结余)")
                .input("gap", o.gap)
                .input("rolling_surplus", u.rolling_surplus)
                .result(o.from_own_surplus)
        });
        trace.record(|| {
            let (rationing, rationing_zh) = match policy.rationing {
                Rationing::ProRata => ("pro rata to remaining gaps", "按剩余缺口比例分配"),
                Rationing::InOrder => ("in unit order", "按单位顺序依次弥补"),
            };
            Step::new(
                up("from_risk_fund"),
                ART17_2,
                format!("remaining gap covered by the fund (opening_balance + levy); if short, rationed {rationing}"),
            )
            .zh(format!("剩余缺口由风险共济金（年初余额 + 提取额）弥补；不足时{}", rationing_zh))
            .input("remaining_gap", o.gap.checked_sub(o.from_own_surplus).unwrap_or(o.gap))
            .input("fund_available", t.opening_balance.checked_add(t.levy).unwrap_or(t.opening_balance))
            .result(o.from_risk_fund)
        });
        trace.record(|| {
            Step::new(up("unresolved"), ART17_3, "gap − from_own_surplus − from_risk_fund; positive → actuarial review")
                .zh("缺口 − 自有结余弥补 − 共济金弥补；为正则启动精算评估")
                .input("gap", o.gap)
                .input("from_own_surplus", o.from_own_surplus)
                .input("from_risk_fund", o.from_risk_fund)
                .result(o.unresolved)
        });
        if let Some(league) = o.fiscal_subsidy_league {
            trace.record(|| {
                let share = u
                    .league_fiscal_share
                    .or(policy.default_league_fiscal_share)
                    .expect("invariant: a league subsidy is computed from a share");
                Step::new(
                    up("fiscal_subsidy_league"),
                    ART17_4,
                    "league fiscal share × unresolved, rounded to the fen; the unit's finance bears the rest",
                )
                .zh("盟级财政分担比例 × 未弥补缺口，四舍五入到分；其余由旗区财政承担")
                .input("league_fiscal_share", share)
                .input("unresolved", o.unresolved)
                .result(league)
            });
        }
        trace.record(|| {
            Step::new(up("closing_rolling_surplus"), ART14, "rolling_surplus − from_own_surplus + max(result, 0)")
                .zh("滚存结余 − 自有结余弥补 + max(当年结余, 0)")
                .input("rolling_surplus", u.rolling_surplus)
                .input("from_own_surplus", o.from_own_surplus)
                .input("result", o.result)
                .result(o.closing_rolling_surplus)
        });
    }
    trace.record(|| Step::new(p("draws"), ART17_2, "Σ from_risk_fund").zh("共济金弥补合计").result(t.draws));
    trace.record(|| {
        Step::new(p("closing_balance"), ART14, "opening_balance + levy − draws (rolls over to next year)")
            .zh("年初余额 + 提取额 − 使用额（结转下年）")
            .input("opening_balance", t.opening_balance)
            .input("levy", t.levy)
            .input("draws", t.draws)
            .result(t.closing_balance)
    });
}

/// Computes a whole fund year under the version of `history` that governs
/// `year` (an error names the year and the validity windows if none does).
/// Each scheme may appear at most once.
pub fn compute_year(
    history: &PolicyHistory<RiskPoolPolicy>,
    year: i32,
    schemes: &[SchemeInput],
    trace: &mut Trace,
) -> Result<FundYear> {
    let version = history.for_year(year)?;
    let mut engine = SchemeEngine::new();
    let mut out = Vec::with_capacity(schemes.len());
    for (i, input) in schemes.iter().enumerate() {
        if schemes.iter().take(i).any(|s| s.scheme == input.scheme) {
            return Err(RiskPoolError::DuplicateScheme { scheme: input.scheme.key().into() });
        }
        out.push(compute_scheme_with(&mut engine, version.params(), input, trace)?);
    }
    Ok(FundYear { year, policy: version.id().to_owned(), schemes: out })
}
