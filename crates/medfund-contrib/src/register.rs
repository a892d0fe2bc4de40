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
    fn with_capacity(n: usize) -> RegisterColumns {
        RegisterColumns {
            base: Vec::with_capacity(n),
            personal: Vec::with_capacity(n),
            employer: Vec::with_capacity(n),
            to_account: Vec::with_capacity(n),
            to_pool: Vec::with_capacity(n),
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
    let largest_pension = check(&p, register)?;
    match Kernel::new(&p, largest_pension) {
        Some(kernel) => Ok(kernel.run(register)),
        None => {
            let mut out = RegisterColumns::with_capacity(n);
            for (i, (((&rule, &wage), &birth), &pension)) in register
                .base_rules
                .iter()
                .zip(register.wages)
                .zip(register.birth_years)
                .zip(register.pensions)
                .enumerate()
            {
                out.push(p.one(i, rule, wage, birth, pension)?);
            }
            Ok(out)
        }
    }
}

/// One pass over the register: every error the checked path would report
/// (the first, in register order), and the largest retiree pension.
fn check(p: &Prepared, register: Register<'_>) -> Result<Money> {
    let all = p.figures == Figures::All;
    let mut largest = Money::ZERO;
    let mut retirees = false;
    for (i, (((&rule, &wage), &birth), &pension)) in
        register.base_rules.iter().zip(register.wages).zip(register.birth_years).zip(register.pensions).enumerate()
    {
        match rule {
            BaseRule::Retired => {
                if pension.is_negative() {
                    return Err(ContribError::InvalidInput {
                        subject: "employee",
                        index: i,
                        field: "pension",
                        value: pension.to_string(),
                        expected: "an amount of zero or more",
                    });
                }
                retirees = true;
                largest = largest.max(pension);
            }
            _ => {
                p.base(i, rule, wage)?;
                if all {
                    p.age(i, birth)?;
                }
            }
        }
    }
    if retirees && all && p.retiree_rate.is_none() {
        return Err(ContribError::MissingParameter {
            field: "retiree_account_rate",
            needed_for: "retirees' account figures",
        });
    }
    Ok(largest)
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
    year: i32,
    all: bool,
}

fn fen(m: Money) -> Option<u64> {
    u64::try_from(m.fen()).ok()
}

impl Kernel {
    /// `None` when some product could leave the exact range (the checked path then runs).
    fn new(p: &Prepared, largest_pension: Money) -> Option<Kernel> {
        let rate = |r| ColumnRate::new(r, p.rounding);
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
            year: p.year,
            all: p.figures == Figures::All,
        };
        let largest_base = kernel.ceiling.max(kernel.average).max(kernel.reemployment).max(kernel.floor);
        let largest_employer = kernel.employer.apply(largest_base);
        let fits = largest_base <= kernel.personal.limit()
            && largest_base <= kernel.employer.limit()
            && kernel.bands.iter().all(|(_, r)| largest_employer <= r.limit())
            && fen(largest_pension)?.max(kernel.retiree_floor) <= kernel.retiree.limit()
            // personal + employer's share ≤ 2 × base stays below 2^63.
            && largest_base <= i64::MAX.unsigned_abs() / 4;
        fits.then_some(kernel)
    }

    fn run(&self, r: Register<'_>) -> RegisterColumns {
        let n = r.wages.len();
        let mut out = RegisterColumns::with_capacity(n);
        let money = |v: u64| Money::from_fen(i64::from_ne_bytes(v.to_ne_bytes()));
        let rows = r.base_rules.iter().zip(r.wages).zip(r.birth_years).zip(r.pensions);
        for (((&rule, &wage), &birth), &pension) in rows {
            // The check pass has seen every wage and pension non-negative and every age in range.
            let (base, personal, employer, to_account, to_pool) = match rule {
                BaseRule::Retired => {
                    let credit = if self.all {
                        self.retiree.apply(u64::from_ne_bytes(pension.fen().to_ne_bytes()).max(self.retiree_floor))
                    } else {
                        0
                    };
                    (0, 0, 0, credit, 0)
                }
                _ => {
                    let base = match rule {
                        BaseRule::AverageWage => self.average,
                        BaseRule::Reemployment => self.reemployment,
                        _ => u64::from_ne_bytes(wage.fen().to_ne_bytes()).clamp(self.floor, self.ceiling),
                    };
                    let personal = self.personal.apply(base);
                    if self.all {
                        let employer = self.employer.apply(base);
                        let age = u32::try_from(self.year.wrapping_sub(1).wrapping_sub(birth)).unwrap_or(u32::MAX);
                        let share =
                            self.bands.iter().find(|(up_to, _)| age <= *up_to).map_or(0, |(_, s)| s.apply(employer));
                        (base, personal, employer, personal.wrapping_add(share), employer.wrapping_sub(share))
                    } else {
                        (base, personal, 0, 0, 0)
                    }
                }
            };
            out.base.push(money(base));
            out.personal.push(money(personal));
            out.employer.push(money(employer));
            out.to_account.push(money(to_account));
            out.to_pool.push(money(to_pool));
        }
        out
    }
}
