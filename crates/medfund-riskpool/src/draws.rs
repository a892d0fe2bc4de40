//! Where a trial's random draws come from, and the draws themselves.
//!
//! [`Streams::PerTrial`] (the default, the projection's original model):
//! trial *i* draws from stream *i* of a ChaCha8 generator seeded with the
//! scenario seed, and the units take their draws from it in turn, so adding
//! a unit changes the draws of the units after it.
//!
//! [`Streams::PerUnit`]: each unit draws from a generator of its own, keyed
//! by the seed and the unit's [`stream_key`] (its scheme and id), stream *i*
//! for trial *i*; the common factors of [`Shocks::across_units`] come from a
//! generator of their own. Adding, removing or reordering units, or changing
//! another unit's growth, leaves a unit's draws as they were: common random
//! numbers across structural variants.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::{Result, RiskPoolError};
use crate::policy::Scheme;
#[cfg(doc)]
use crate::shocks::Shocks;
use crate::shocks::{Parameters, correlated, ppb};

/// Where the draws of a trial come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Streams {
    /// One stream per trial, the units drawing from it in turn (the
    /// original model: earlier results are unchanged).
    #[default]
    PerTrial,
    /// One stream per trial and unit, keyed by the unit's scheme and id, so
    /// a unit's draws do not depend on the other units.
    PerUnit,
}

/// The key of a unit's own random stream ([`Streams::PerUnit`]): FNV-1a
/// (64 bits) of the scheme's key, a zero byte and the unit's id. Stable
/// across versions, platforms and runs.
///
/// ```
/// use medfund_riskpool::{Scheme, stream_key};
/// assert_eq!(stream_key(Scheme::Employee, "left-banner"), stream_key(Scheme::Employee, "left-banner"));
/// assert_ne!(stream_key(Scheme::Employee, "left-banner"), stream_key(Scheme::Resident, "left-banner"));
/// ```
pub fn stream_key(scheme: Scheme, id: &str) -> u64 {
    let mut h = medfund_core::Fnv1a::new();
    h.write(scheme.key().as_bytes());
    h.write(&[0]);
    h.write(id.as_bytes());
    h.finish()
}

/// The 32-byte seed of a keyed generator: the scenario seed, the key and a
/// tag, so that a unit's generator and the common one never coincide.
fn keyed_seed(seed: u64, key: u64, tag: &[u8; 16]) -> [u8; 32] {
    let mut bytes = [0_u8; 32];
    let (s, rest) = bytes.split_at_mut(8);
    let (k, t) = rest.split_at_mut(8);
    s.copy_from_slice(&seed.to_le_bytes());
    k.copy_from_slice(&key.to_le_bytes());
    t.copy_from_slice(tag);
    bytes
}

/// The seeds of a projection's generators, checked once.
#[derive(Debug, Clone)]
pub(crate) struct Seeds {
    seed: u64,
    /// Per unit (over all schemes, in order) in [`Streams::PerUnit`]; empty otherwise.
    units: Vec<[u8; 32]>,
    common: [u8; 32],
}

impl Seeds {
    /// The seeds for `keys` (every unit's [`stream_key`], in order); two
    /// units with one key would share their draws, so that is an error.
    pub(crate) fn new(seed: u64, streams: Streams, keys: &[u64]) -> Result<Seeds> {
        let units = match streams {
            Streams::PerTrial => Vec::new(),
            Streams::PerUnit => {
                let mut sorted = keys.to_vec();
                sorted.sort_unstable();
                if let Some(&[key, _]) = sorted.windows(2).find(|w| w.first() == w.get(1)) {
                    return Err(RiskPoolError::InvalidPolicy {
                        field: "units.stream_key",
                        value: format!("{key:#018x} twice"),
                        expected: "a different stream key for every unit (its scheme and id)",
                    });
                }
                keys.iter().map(|&k| keyed_seed(seed, k, b"medfund/unit\0\0\0\0")).collect()
            }
        };
        Ok(Seeds { seed, units, common: keyed_seed(seed, 0, b"medfund/common\0\0") })
    }
}

/// The draws of one trial: its generators, and the persistent part of every
/// unit's revenue and expenditure draw, carried from year to year. One
/// thread reuses it from trial to trial.
pub(crate) struct TrialDraws {
    p: Parameters,
    /// The trial's generator ([`Streams::PerTrial`]) or the common factors' one.
    shared: ChaCha8Rng,
    /// Per unit ([`Streams::PerUnit`] only).
    own: Vec<ChaCha8Rng>,
    /// Per unit (all schemes, in order): revenue and expenditure state.
    state: Vec<(f64, f64)>,
    /// The common factors of the current year.
    common: (f64, f64),
    /// With a correlation matrix: this year's independent draws of the units so far.
    own_draws: Vec<(f64, f64)>,
    started: bool,
}

impl TrialDraws {
    pub(crate) fn new(p: Parameters, units: usize) -> TrialDraws {
        TrialDraws {
            p,
            shared: ChaCha8Rng::seed_from_u64(0),
            own: Vec::new(),
            state: vec![(0.0, 0.0); units],
            common: (0.0, 0.0),
            own_draws: vec![(0.0, 0.0); units],
            started: false,
        }
    }

    /// Starts trial `trial`: its generators at their first draw.
    pub(crate) fn start(&mut self, seeds: &Seeds, trial: u64) {
        let stream = |seed: [u8; 32]| {
            let mut rng = ChaCha8Rng::from_seed(seed);
            rng.set_stream(trial);
            rng
        };
        if seeds.units.is_empty() {
            self.shared = ChaCha8Rng::seed_from_u64(seeds.seed);
            self.shared.set_stream(trial);
        } else {
            self.shared = stream(seeds.common);
            self.own.clear();
            self.own.extend(seeds.units.iter().map(|&s| stream(s)));
        }
        self.state.fill((0.0, 0.0));
        self.common = (0.0, 0.0);
        self.started = false;
    }

    /// Starts a projected year (after the first): draws its common factors.
    pub(crate) fn year(&mut self) {
        if self.p.original || self.p.c == 0.0 {
            return;
        }
        let r = self.p.standard(&mut self.shared);
        let other = self.p.standard(&mut self.shared);
        self.common = (r, correlated(self.p.rho, r, other));
    }

    /// The growth of unit `u` (its index over all schemes) in ppb, from
    /// the means and sds in ppb: (revenue, expenditure).
    #[allow(clippy::float_arithmetic)]
    pub(crate) fn unit(&mut self, u: usize, laws: (i64, i64, i64, i64)) -> (i64, i64) {
        let (rm, rs, em, es) = laws;
        if self.p.original {
            // The original model, draw for draw: none where sd = 0.
            let rng = &mut self.shared;
            let r = if rs == 0 { rm } else { ppb(rm, rs, self.p.standard(rng)) };
            let e = if es == 0 { em } else { ppb(em, es, self.p.standard(rng)) };
            return (r, e);
        }
        // Two draws a unit and year, whatever its sds: changing one sd moves no other draw.
        let rng = match self.own.get_mut(u) {
            Some(own) => own,
            None => &mut self.shared,
        };
        let own_r = self.p.standard(rng);
        let other = self.p.standard(rng);
        let own_e = correlated(self.p.rho, own_r, other);
        let (c, phi) = (self.p.c, self.p.phi);
        let (z_r, z_e) = match &self.p.factor {
            // z = L·ε: row u of the lower-triangular factor needs the draws of units 0..=u,
            // which are made in that order every year.
            Some(l) => {
                *self.own_draws.get_mut(u).expect("invariant: one draw per unit") = (own_r, own_e);
                let n = self.own_draws.len();
                let row = l.get(u.checked_mul(n).expect("invariant: u < n")..).expect("invariant: n × n factor");
                row.iter()
                    .zip(&self.own_draws)
                    .take(u.checked_add(1).expect("invariant: u < n"))
                    .fold((0.0, 0.0), |(r, e), (w, d)| (r + w * d.0, e + w * d.1))
            }
            None => (
                c.sqrt() * self.common.0 + (1.0 - c).sqrt() * own_r,
                c.sqrt() * self.common.1 + (1.0 - c).sqrt() * own_e,
            ),
        };
        let first = !self.started;
        let s = self.state.get_mut(u).expect("invariant: one state per unit");
        *s = if first {
            (z_r, z_e)
        } else {
            let k = (1.0 - phi * phi).sqrt();
            (phi * s.0 + k * z_r, phi * s.1 + k * z_e)
        };
        (ppb(rm, rs, s.0), ppb(em, es, s.1))
    }

    /// Ends a projected year: later draws follow on from this year's.
    pub(crate) fn end_year(&mut self) {
        self.started = true;
    }
}

/// One standard draw: normal, or Student-t scaled to variance 1.
impl Parameters {
    #[allow(clippy::float_arithmetic)]
    pub(crate) fn standard(&self, rng: &mut ChaCha8Rng) -> f64 {
        match self.t {
            Some((t, scale)) => t.sample(rng) * scale,
            None => StandardNormal.sample(rng),
        }
    }
}
