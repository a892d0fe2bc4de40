//! The random shocks of a projection beyond independent normal draws:
//! correlation between a unit's revenue and expenditure growth, correlation
//! across units (one common factor), persistence from year to year (AR(1)),
//! and heavy tails (Student-t).
//!
//! For unit *u* in a year, with standard draws (mean 0, variance 1) F_r, F_e
//! common to every unit that year and ε_r, ε_e of the unit alone:
//!
//! * F_e and ε_e are correlated with F_r and ε_r by ρ (`revenue_expenditure`):
//!   x_e = ρ·x_r + √(1 − ρ²)·x′;
//! * z = √c·F + √(1 − c)·ε, so that two units' draws correlate by c
//!   (`across_units`) and a unit's revenue and expenditure draws by ρ;
//! * s_t = φ·s_{t−1} + √(1 − φ²)·z_t (`persistence`, s of the first growth
//!   year = z): each year's draw keeps variance 1;
//! * growth = mean + sd·s, turned at once into parts per billion.
//!
//! Every correlation of the model is a convex combination of valid ones, so
//! no matrix needs checking. With every parameter at its default the draws
//! are those of independent normals in the order the projection has always
//! made them, so earlier results are unchanged.

use medfund_core::Rate;
use rand_distr::StudentT;
use serde::{Deserialize, Serialize};

use crate::draws::Streams;
use crate::error::{Result, RiskPoolError};

/// The distribution of each standard draw.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ShockDistribution {
    /// Standard normal.
    #[default]
    Normal,
    /// Student-t with this many degrees of freedom (more than 2), scaled to
    /// variance 1: heavier tails than the normal for the same sd.
    StudentT(u32),
}

/// How the growth draws of a projection depend on each other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[non_exhaustive]
pub struct Shocks {
    /// ρ, correlation of a unit's revenue and expenditure growth (−1 to 1).
    pub revenue_expenditure: Rate,
    /// c, correlation of the same growth across units (0 to 1).
    pub across_units: Rate,
    /// φ, AR(1) coefficient of each draw from one year to the next (0 to below 1).
    pub persistence: Rate,
    /// The distribution of each standard draw.
    pub distribution: ShockDistribution,
    /// Where the draws come from: one stream per trial (default) or per unit.
    pub streams: Streams,
    /// Instead of `across_units`, the correlation of every pair of units'
    /// draws: a matrix with a row and a column per unit in projection
    /// order (the schemes in order, each scheme's units in order),
    /// symmetric, 1 on the diagonal, positive semi-definite.
    pub unit_correlation: Option<Vec<Vec<Rate>>>,
}

impl Shocks {
    /// Shocks with the given correlations, persistence and distribution.
    pub fn new(
        revenue_expenditure: Rate,
        across_units: Rate,
        persistence: Rate,
        distribution: ShockDistribution,
    ) -> Shocks {
        Shocks {
            revenue_expenditure,
            across_units,
            persistence,
            distribution,
            streams: Streams::PerTrial,
            unit_correlation: None,
        }
    }

    /// The same shocks with the units' draws correlated by `matrix` (see
    /// [`Shocks::unit_correlation`]) instead of `across_units`.
    pub fn with_unit_correlation(self, matrix: Vec<Vec<Rate>>) -> Shocks {
        Shocks { unit_correlation: Some(matrix), ..self }
    }

    /// The same shocks drawn from `streams`.
    pub fn with_streams(self, streams: Streams) -> Shocks {
        Shocks { streams, ..self }
    }

    /// True for independent normal draws (every correlation and the
    /// persistence 0, normal draws), from either kind of [`Streams`].
    pub fn is_independent(&self) -> bool {
        self.revenue_expenditure.is_zero()
            && self.across_units.is_zero()
            && self.persistence.is_zero()
            && self.distribution == ShockDistribution::Normal
            && self.unit_correlation.is_none()
    }

    /// Checks the parameters (ranges; more than 2 degrees of freedom).
    pub fn check(&self) -> Result<()> {
        self.parameters().map(|_| ())
    }

    /// The parameters as numbers for the draws, checked.
    pub(crate) fn parameters(&self) -> Result<Parameters> {
        let number = |r: Rate, field: &'static str, lo: f64, hi: f64, expected: &'static str| -> Result<f64> {
            let x = to_f64(r);
            if x.is_finite() && x >= lo && x <= hi {
                Ok(x)
            } else {
                Err(RiskPoolError::InvalidPolicy { field, value: r.to_string(), expected })
            }
        };
        let rho =
            number(self.revenue_expenditure, "shocks.revenue_expenditure", -1.0, 1.0, "a correlation from -1 to 1")?;
        let c = number(self.across_units, "shocks.across_units", 0.0, 1.0, "a correlation from 0 to 1")?;
        let phi = number(self.persistence, "shocks.persistence", 0.0, 0.999_999, "a coefficient from 0 to below 1")?;
        let t = match self.distribution {
            ShockDistribution::Normal => None,
            ShockDistribution::StudentT(nu) if nu > 2 => {
                let t = StudentT::new(f64::from(nu)).map_err(|_| RiskPoolError::InvalidPolicy {
                    field: "shocks.distribution",
                    value: format!("student_t {nu}"),
                    expected: "more than 2 degrees of freedom",
                })?;
                // Var t_ν = ν / (ν − 2): scaled back to 1.
                Some((t, variance_one(nu)))
            }
            ShockDistribution::StudentT(nu) => {
                return Err(RiskPoolError::InvalidPolicy {
                    field: "shocks.distribution",
                    value: format!("student_t {nu}"),
                    expected: "more than 2 degrees of freedom (a finite variance)",
                });
            }
        };
        let original = self.is_independent() && self.streams == Streams::PerTrial;
        let factor = match &self.unit_correlation {
            None => None,
            Some(_) if !self.across_units.is_zero() => {
                return Err(RiskPoolError::InvalidPolicy {
                    field: "shocks.unit_correlation",
                    value: format!("given with across_units {}", self.across_units),
                    expected: "either a matrix or one correlation across units, not both",
                });
            }
            Some(matrix) => Some(std::sync::Arc::from(crate::correlation::factor(matrix)?)),
        };
        Ok(Parameters { original, rho, c, phi, t, factor })
    }
}

/// √((ν − 2)/ν).
#[allow(clippy::float_arithmetic)]
fn variance_one(nu: u32) -> f64 {
    let nu = f64::from(nu);
    ((nu - 2.0) / nu).sqrt()
}

pub(crate) fn to_f64(r: Rate) -> f64 {
    // A model parameter, not money: its decimal read as a float.
    r.to_decimal().to_string().parse::<f64>().expect("invariant: a decimal's text is a float's text")
}

/// The checked parameters of [`Shocks`].
#[derive(Debug, Clone)]
pub(crate) struct Parameters {
    /// Independent normal draws from one stream per trial: the original
    /// model, whose draws are made only where an sd is not 0.
    pub(crate) original: bool,
    pub(crate) rho: f64,
    pub(crate) c: f64,
    pub(crate) phi: f64,
    /// Student-t and the factor that scales it to variance 1.
    pub(crate) t: Option<(StudentT<f64>, f64)>,
    /// The lower-triangular factor of `unit_correlation` (n × n, by rows).
    pub(crate) factor: Option<std::sync::Arc<[f64]>>,
}

/// ρ·x + √(1 − ρ²)·y.
#[allow(clippy::float_arithmetic)]
pub(crate) fn correlated(rho: f64, x: f64, y: f64) -> f64 {
    rho * x + (1.0 - rho * rho).sqrt() * y
}

/// mean + sd × z in ppb.
#[allow(clippy::float_arithmetic, clippy::cast_possible_truncation, clippy::cast_precision_loss)]
pub(crate) fn ppb(mean: i64, sd: i64, z: f64) -> i64 {
    // The draw is a rate, never money: it is turned into an integer ppb at once.
    let offset = (sd as f64 * z).round();
    // `as` saturates for out-of-range floats; ±9.2e18 ppb is far beyond any rate.
    mean.saturating_add(offset as i64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::float_arithmetic, clippy::cast_precision_loss, clippy::unwrap_used)]
    use super::*;
    use crate::draws::{Seeds, TrialDraws};

    /// Sample correlation of pairs.
    fn corr(pairs: &[(f64, f64)]) -> f64 {
        let n = pairs.len() as f64;
        let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
        let cov = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>();
        let vx = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
        let vy = pairs.iter().map(|p| (p.1 - my).powi(2)).sum::<f64>();
        cov / (vx * vy).sqrt()
    }

    fn shocks(rho: i64, c: i64, phi: i64, distribution: ShockDistribution) -> Shocks {
        Shocks::new(Rate::percent(rho), Rate::percent(c), Rate::percent(phi), distribution)
    }

    /// Draws (in units of sd) of two units over two years, many trials.
    fn sample(shocks: Shocks) -> Vec<[(f64, f64); 3]> {
        let p = shocks.parameters().unwrap();
        let seeds = Seeds::new(1, shocks.streams, &[10, 20]).unwrap();
        let laws = (0, 1_000_000, 0, 1_000_000);
        (0..20_000)
            .map(|t| {
                let mut d = TrialDraws::new(p.clone(), 2);
                d.start(&seeds, t);
                d.year();
                let a = d.unit(0, laws);
                let b = d.unit(1, laws);
                d.end_year();
                d.year();
                let a2 = d.unit(0, laws);
                let f = |x: (i64, i64)| (x.0 as f64 / 1e6, x.1 as f64 / 1e6);
                [f(a), f(b), f(a2)]
            })
            .collect()
    }

    #[test]
    fn draws_have_the_correlations_and_persistence_asked_for() {
        let cases = [(0, 0, 0), (60, 0, 0), (-40, 30, 0), (50, 70, 60)];
        for ((rho, c, phi), streams) in cases.into_iter().flat_map(|c| [(c, Streams::PerTrial), (c, Streams::PerUnit)])
        {
            let s = sample(shocks(rho, c, phi, ShockDistribution::Normal).with_streams(streams));
            let within: Vec<(f64, f64)> = s.iter().map(|v| v[0]).collect();
            let across: Vec<(f64, f64)> = s.iter().map(|v| (v[0].0, v[1].0)).collect();
            let over_time: Vec<(f64, f64)> = s.iter().map(|v| (v[0].0, v[2].0)).collect();
            let close = |got: f64, want: i64| (got - want as f64 / 100.0).abs() < 0.03;
            assert!(close(corr(&within), rho), "ρ {rho}: {}", corr(&within));
            assert!(close(corr(&across), c), "c {c}: {}", corr(&across));
            assert!(close(corr(&over_time), phi), "φ {phi}: {}", corr(&over_time));
            // Each draw keeps variance 1 (sd 1 in these units).
            let var = s.iter().map(|v| v[2].1.powi(2)).sum::<f64>() / s.len() as f64;
            assert!((var - 1.0).abs() < 0.05, "{var}");
        }
    }

    #[test]
    fn draws_have_the_correlation_matrix_asked_for() {
        let matrix = vec![vec![Rate::ONE, Rate::percent(-60)], vec![Rate::percent(-60), Rate::ONE]];
        for streams in [Streams::PerTrial, Streams::PerUnit] {
            let shocks = shocks(30, 0, 50, ShockDistribution::Normal)
                .with_streams(streams)
                .with_unit_correlation(matrix.clone());
            let s = sample(shocks);
            let within: Vec<(f64, f64)> = s.iter().map(|v| v[0]).collect();
            let across: Vec<(f64, f64)> = s.iter().map(|v| (v[0].0, v[1].0)).collect();
            let across_e: Vec<(f64, f64)> = s.iter().map(|v| (v[0].1, v[1].1)).collect();
            let over_time: Vec<(f64, f64)> = s.iter().map(|v| (v[0].0, v[2].0)).collect();
            for (got, want) in
                [(corr(&within), 0.3), (corr(&across), -0.6), (corr(&across_e), -0.6), (corr(&over_time), 0.5)]
            {
                assert!((got - want).abs() < 0.03, "{streams:?}: {got} vs {want}");
            }
            let var = s.iter().map(|v| v[1].0.powi(2)).sum::<f64>() / s.len() as f64;
            assert!((var - 1.0).abs() < 0.05, "{var}");
        }
        // Not with across_units as well.
        let both = shocks(0, 10, 0, ShockDistribution::Normal).with_unit_correlation(matrix);
        assert!(both.parameters().is_err());
    }

    #[test]
    fn student_t_draws_have_variance_one_and_heavier_tails() {
        let t = sample(shocks(0, 0, 0, ShockDistribution::StudentT(4)));
        let n = sample(shocks(0, 0, 1, ShockDistribution::Normal));
        let var = t.iter().map(|v| v[0].0.powi(2)).sum::<f64>() / t.len() as f64;
        assert!((var - 1.0).abs() < 0.15, "{var}");
        let beyond = |s: &[[(f64, f64); 3]]| s.iter().filter(|v| v[0].0.abs() > 3.0).count();
        assert!(beyond(&t) > 2 * beyond(&n), "{} vs {}", beyond(&t), beyond(&n));
    }

    #[test]
    fn parameters_out_of_range_are_errors() {
        let bad = |s: Shocks| s.parameters().is_err();
        assert!(bad(Shocks::new(Rate::percent(101), Rate::ZERO, Rate::ZERO, ShockDistribution::Normal)));
        assert!(bad(Shocks::new(Rate::ZERO, Rate::percent(-1), Rate::ZERO, ShockDistribution::Normal)));
        assert!(bad(Shocks::new(Rate::ZERO, Rate::ZERO, Rate::percent(100), ShockDistribution::Normal)));
        assert!(bad(Shocks::new(Rate::ZERO, Rate::ZERO, Rate::ZERO, ShockDistribution::StudentT(2))));
    }
}
