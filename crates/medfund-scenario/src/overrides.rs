//! The `[section.policy]` tables: each parameter of a preset that a
//! scenario may override, declared once here with the input type that checks
//! it where it is written (so a bad value is reported at its line and
//! column), and set on the preset by the generated `apply`.

use medfund_core::{Rounding, Share, YearStart};
use medfund_insurer::{AssistancePolicy, FeeAdvanceDate, FeeBasis, SupplementaryPolicy};
use medfund_riskpool::{Rationing, RiskPoolPolicy};
use medfund_surplus::{Earmark, EarmarkBase, FloorSplit, SurplusPolicy, Weights};
use serde::Deserialize;

use crate::values::{Amount, DateOrYear, NonNegativeRate, Score, Whole32};

/// Declares a policy table: every parameter optional, unknown keys refused,
/// `apply` setting the parameters given (through `=> conversion` where the
/// input type differs from the parameter's), and extra keys (`valid_from`,
/// `valid_to`) that are not parameters and are read by the section itself.
macro_rules! policy_table {
    (
        $(#[$meta:meta])*
        $name:ident sets $params:ty {
            $( $(#[doc = $doc:literal])* $field:ident : $ty:ty $(=> $conv:expr)? ),* $(,)?
        }
        $( and { $( $(#[doc = $edoc:literal])* $efield:ident : $ety:ty ),* $(,)? } )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub(crate) struct $name {
            $( $(#[doc = $doc])* pub $field: Option<$ty>, )*
            $($( $(#[doc = $edoc])* pub $efield: Option<$ety>, )*)?
        }

        impl $name {
            /// Sets every parameter the table gives on `params`.
            pub(crate) fn apply(&self, params: &mut $params) {
                $( if let Some(v) = &self.$field { params.$field = policy_table!(@convert v $(, $conv)?); } )*
            }
        }
    };
    (@convert $v:ident) => { $v.clone() };
    (@convert $v:ident, $conv:expr) => { ($conv)($v) };
}

policy_table! {
    /// `[riskpool.policy]`.
    RiskpoolPolicyOverride sets RiskPoolPolicy {
        /// Levy rate.
        levy_rate: Share,
        /// Cap as a multiple of revenue.
        cap_multiple: NonNegativeRate => |v: &NonNegativeRate| v.0,
        /// Rationing.
        rationing: Rationing,
        /// Default league fiscal share.
        default_league_fiscal_share: Share => |v: &Share| Some(*v),
        /// Rounding mode.
        rounding: Rounding,
    }
}

policy_table! {
    /// `[assistance.policy]`.
    AssistancePolicyOverride sets AssistancePolicy {
        /// Fee rate.
        fee_rate: Share,
        /// Fee cap.
        fee_cap: Amount => |v: &Amount| v.0,
        /// March prepayment share.
        prepay_march: Share,
        /// September prepayment share.
        prepay_september: Share,
        /// Advance rate.
        advance_rate: Share,
        /// Days for the fee settlement.
        fee_settlement_days: Whole32 => |v: &Whole32| v.0,
        /// Fee basis.
        fee_basis: FeeBasis,
        /// How the June fee advance is dated.
        fee_advance_date: FeeAdvanceDate,
        /// Rounding.
        rounding: Rounding,
    } and {
        /// First day (or year) of validity.
        valid_from: DateOrYear,
        /// Last day (or year) of validity.
        valid_to: DateOrYear,
    }
}

policy_table! {
    /// `[supplementary.policy]`.
    SupplementaryPolicyOverride sets SupplementaryPolicy {
        /// Medical-year start.
        year_start: YearStart,
        /// Fund cap.
        fund_cap: Amount => |v: &Amount| v.0,
        /// Insurer rate.
        insurer_rate: Share,
        /// Insurer cap.
        insurer_cap: Amount => |v: &Amount| v.0,
        /// Premium per person.
        premium_per_person: Amount => |v: &Amount| v.0,
        /// Rounding.
        rounding: Rounding,
    } and {
        /// First day (or year) of validity.
        valid_from: DateOrYear,
        /// Last day (or year) of validity.
        valid_to: DateOrYear,
    }
}

policy_table! {
    /// `[surplus.policy]`.
    SurplusPolicyOverride sets SurplusPolicy {
        /// Earmarks (replace the preset's list).
        earmarks: Vec<Earmark>,
        /// Primary floor.
        primary_floor: Share,
        /// Floor split.
        floor_split: FloorSplit,
        /// Composite weights (checked by the policy: zero or more).
        weights: Weights,
        /// Minimum score.
        min_score: Score => |v: &Score| v.0,
        /// Earmark base.
        earmark_base: EarmarkBase,
        /// Whether primary institutions share in the performance pool.
        performance_includes_primary: bool,
        /// Allowed use categories.
        allowed_categories: Vec<String>,
        /// Other known uses, outside the allowed ones.
        other_categories: Vec<String>,
        /// Rounding.
        rounding: Rounding,
    }
}
