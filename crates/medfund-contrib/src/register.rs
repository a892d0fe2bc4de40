//! Whole registers (10⁷ employees) in columns: the contributions of
//! [`contribute`](crate::contribute) without a trace, division-free and
//! allocation-light. The input is checked in one pass first; the kernel
//! then runs without error handling. A register outside the kernel's exact
//! range (amounts near `i64::MAX` fen) takes the checked path, which gives
//! the same figures or reports the overflow.

use medfund_core::Money;
use medfund_core::column::ColumnRate;
use serde::{Deserialize, Serialize};

use crate::employee::{BaseRule, EmployeeContribution, EmployeePolicy, Figures, Prepared};
use crate::error::{ContribError, Result};

/// A register as columns of equal length, one row per employee.
#[derive(Debug, Clone, Copy)]
pub struct Register<'a> {
    /// How each base is set.
    pub base_rules: &'a [BaseRule],
    /// Last year's wage totals.
    pub wages: &'a [Money],
    /// Years of birth.
    pub birth_years: &'a [i32],
    /// Retirees' pensions (0 for the others).
    pub pensions: &'a [Money],
}

/// The contributions of a register, as columns in register order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RegisterColumns {
    /// Contribution bases.
    pub base: Vec<Money>,
    /// Personal parts.
    pub personal: Vec<Money>,
    /// Employer parts.
    pub employer: Vec<Money>,
    /// Individual account credits.
    pub to_account: Vec<Money>,
    /// Pooling fund parts.
    pub to_pool: Vec<Money>,
}

impl RegisterColumns {
    fn clear(&mut self) {
        for column in [&mut self.base, &mut self.personal, &mut self.employer, &mut self.to_account, &mut self.to_pool]
        {
            column.clear();
        }
    }

    fn push(&mut self, c: EmployeeContribution) {
        self.base.push(c.base);
        self.personal.push(c.personal);
        self.employer.push(c.employer);
        self.to_account.push(c.to_account);
        self.to_pool.push(c.to_pool);
    }

    /// Row `i` as one employee's figures.
    pub fn row(&self, i: usize) -> Option<EmployeeContribution> {
        Some(EmployeeContribution {
            base: *self.base.get(i)?,
            personal: *self.personal.get(i)?,
            employer: *self.employer.get(i)?,
            to_account: *self.to_account.get(i)?,
            to_pool: *self.to_pool.get(i)?,
        })
    }
}

/// The contributions of a whole register, as [`contribute`](crate::contribute)
/// computes them employee by employee (same figures, no trace), in columns.
///
/// Rule: 市级城镇职工基本医疗保险实施方案（模板） C3 缴费基数
///
/// ```
/// use medfund_contrib::{contribute_register, BaseRule, EmployeePolicy, Figures, Register};
/// use medfund_core::Money;
/// let policy = EmployeePolicy::city_template();
/// let wages = ["20000", "90000"].map(|w| w.parse::<Money>().unwrap());
/// let register = Register {
///     base_rules: &[BaseRule::Wage, BaseRule::Wage],
///     wages: &wages,
///     birth_years: &[1990, 1970],
///     pensions: &[Money::ZERO, Money::ZERO],
/// };
/// let c = contribute_register(&policy, "60000".parse()?, 2024, register, Figures::Personal)?;
/// assert_eq!(c.base[0].to_string(), "36000.00"); // 60 % of W
/// assert_eq!(c.personal[1].to_string(), "1800.00");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn contribute_register(
    policy: &EmployeePolicy,
    average_wage: Money,
    year: i32,
    register: Register<'_>,
    figures: Figures,
) -> Result<RegisterColumns> {
    let mut out = RegisterColumns::default();
    contribute_register_into(policy, average_wage, year, register, figures, &mut out)?;
    Ok(out)
}

/// [`contribute_register`] into columns the caller keeps (their capacity is
/// reused from one register to the next: a sweep over policies allocates
/// nothing). On error `out` holds no meaningful figures.
pub fn contribute_register_into(
    policy: &EmployeePolicy,
    average_wage: Money,
    year: i32,
    register: Register<'_>,
    figures: Figures,
    out: &mut RegisterColumns,
) -> Result<()> {
    let n = register.wages.len();
    if [register.base_rules.len(), register.birth_years.len(), register.pensions.len()].iter().any(|&l| l != n) {
        return Err(ContribError::InvalidInput {
            subject: "register",
            index: 0,
            field: "columns",
            value: format!(
                "lengths {}, {}, {}, {}",
                register.base_rules.len(),
                n,
                register.birth_years.len(),
                register.pensions.len()
            ),
            expected: "columns of one length (base_rules, wages, birth_years, pensions)",
        });
    }
    let p = Prepared::new(policy, average_wage, year, figures)?;
    if let Some(kernel) = Kernel::new(&p) {
        if kernel.run(register, out) {
            return Ok(());
        }
    }
    // Out of the kernel's range, or bad input: the checked rule reports the
    // first error in register order, or computes every figure exactly.
    out.clear();
    for (i, (((&rule, &wage), &birth), &pension)) in
        register.base_rules.iter().zip(register.wages).zip(register.birth_years).zip(register.pensions).enumerate()
    {
        out.push(p.one(i, rule, wage, birth, pension)?);
    }
    Ok(())
}

/// The prepared policy in fen and column rates.
struct Kernel {
    floor: u64,
    ceiling: u64,
    average: u64,
    reemployment: u64,
    retiree_floor: u64,
    personal: ColumnRate,
    employer: ColumnRate,
    /// `(up_to_age, share of the employer's part)`, the last open.
    bands: Vec<(u32, ColumnRate)>,
    retiree: ColumnRate,
    /// Whether a retiree's account credit can be computed (its rate is set).
    retiree_rate_set: bool,
    /// The birth years whose age (0–150 on December 31 before the year) is accepted.
    births: std::ops::RangeInclusive<i32>,
    year: i32,
    all: bool,
}

fn fen(m: Money) -> Option<u64> {
    u64::try_from(m.fen()).ok()
}

impl Kernel {
    /// `None` when some product could leave the exact range (the checked path then runs).
    fn new(p: &Prepared) -> Option<Kernel> {
        let rate = |r| ColumnRate::new(r, p.rounding);
        let last_year = p.year.checked_sub(1)?;
        let kernel = Kernel {
            floor: fen(p.floor)?,
            ceiling: fen(p.ceiling)?,
            average: fen(p.average)?,
            reemployment: fen(p.reemployment)?,
            retiree_floor: fen(p.retiree_floor)?,
            personal: rate(p.personal_rate)?,
            employer: rate(p.employer_rate)?,
            bands: p.bands.iter().map(|&(up_to, share)| Some((up_to, rate(share)?))).collect::<Option<_>>()?,
            retiree: rate(p.retiree_rate.unwrap_or(medfund_core::Rate::ZERO))?,
            retiree_rate_set: p.retiree_rate.is_some(),
            births: last_year.checked_sub(150)?..=last_year,
            year: p.year,
            all: p.figures == Figures::All,
        };
        let largest_base = kernel.ceiling.max(kernel.average).max(kernel.reemployment).max(kernel.floor);
        let largest_employer = kernel.employer.apply(largest_base);
        let fits = largest_base <= kernel.personal.limit()
            && largest_base <= kernel.employer.limit()
            && kernel.bands.iter().all(|(_, r)| largest_employer <= r.limit())
            && kernel.retiree_floor <= kernel.retiree.limit()
            // personal + the employer's share ≤ 2 × base stays below 2^63.
            && largest_base <= i64::MAX.unsigned_abs() / 4;
        fits.then_some(kernel)
    }

    /// Writes every row into `out` in one pass, checking the input as it
    /// goes; `false` (figures void) if some row is one the checked rule
    /// refuses or leaves the exact range.
    fn run(&self, r: Register<'_>, out: &mut RegisterColumns) -> bool {
        let n = r.wages.len();
        for column in [&mut out.base, &mut out.personal, &mut out.employer, &mut out.to_account, &mut out.to_pool] {
            column.clear();
            column.resize(n, Money::ZERO);
        }
        let money = |v: u64| Money::from_fen(i64::from_ne_bytes(v.to_ne_bytes()));
        // A negative amount read as unsigned exceeds every limit: one running
        // maximum per column catches both kinds of bad amount.
        let (mut largest_wage, mut largest_pension) = (0_u64, 0_u64);
        let (mut births_ok, mut retirees) = (true, false);
        let rows = r.base_rules.iter().zip(r.wages).zip(r.birth_years).zip(r.pensions);
        let outs = out
            .base
            .iter_mut()
            .zip(&mut out.personal)
            .zip(&mut out.employer)
            .zip(&mut out.to_account)
            .zip(&mut out.to_pool);
        for (
            (((&rule, &wage), &birth), &pension),
            ((((base_out, personal_out), employer_out), account_out), pool_out),
        ) in rows.zip(outs)
        {
            let (base, personal, employer, to_account, to_pool) = if rule == BaseRule::Retired {
                let pension = u64::from_ne_bytes(pension.fen().to_ne_bytes());
                largest_pension = largest_pension.max(pension);
                retirees = true;
                (0, 0, 0, if self.all { self.retiree.apply(pension.max(self.retiree_floor)) } else { 0 }, 0)
            } else {
                let wage = u64::from_ne_bytes(wage.fen().to_ne_bytes());
                let base = match rule {
                    BaseRule::AverageWage => self.average,
                    BaseRule::Reemployment => self.reemployment,
                    _ => {
                        largest_wage = largest_wage.max(wage);
                        wage.clamp(self.floor, self.ceiling)
                    }
                };
                let personal = self.personal.apply(base);
                if self.all {
                    births_ok &= self.births.contains(&birth);
                    let employer = self.employer.apply(base);
                    let age = u32::try_from(self.year.wrapping_sub(1).wrapping_sub(birth)).unwrap_or(u32::MAX);
                    let share =
                        self.bands.iter().find(|(up_to, _)| age <= *up_to).map_or(0, |(_, s)| s.apply(employer));
                    (base, personal, employer, personal.wrapping_add(share), employer.wrapping_sub(share))
                } else {
                    (base, personal, 0, 0, 0)
                }
            };
            *base_out = money(base);
            *personal_out = money(personal);
            *employer_out = money(employer);
            *account_out = money(to_account);
            *pool_out = money(to_pool);
        }
        let max = i64::MAX.unsigned_abs();
        largest_wage <= max
            && largest_pension <= max
            && largest_pension <= self.retiree.limit()
            && births_ok
            && !(retirees && self.all && !self.retiree_rate_set)
    }
}
