//! How large a scenario's report can be, known before it is computed: a
//! service refuses a request whose answer would pass its limit instead of
//! building it (a 61 MiB body with `explain=true` answered 988 MB, with a
//! 3.1 GB peak).
//!
//! A report grows with the scenario's inline lists, each item by a bounded
//! number of bytes (its rows in the report, and with `explain` its steps of
//! the audit trail). The bytes per item are ceilings of what was measured
//! on the examples scaled thirty-fold (`medfund run --format json`, item by
//! item, rounded up by about a quarter); `pretty` JSON and the table, Markdown
//! and CSV forms stay within them too. Tests check the bound on every
//! example, so a change that makes an item's report larger fails there.

use crate::Scenario;

/// Bytes of report per inline item of a list: (without, with `explain`).
struct PerItem {
    plain: u64,
    explained: u64,
}

/// Measured (bytes per item, plain / explained): units 267 / 2,873;
/// counties 3,411 / 10,671; claims 115 / 874 (§5), 190 / 1,296 (§5.2);
/// persons 0 / 0 (not echoed); institutions with their spending 221 / 980;
/// spending lines 48 / 49; employees 118 / 1,627; headcounts 219 / 733;
/// arrears 108 / 534.
const UNITS: PerItem = PerItem { plain: 340, explained: 3_600 };
const COUNTIES: PerItem = PerItem { plain: 4_300, explained: 13_400 };
const CLAIMS: PerItem = PerItem { plain: 240, explained: 1_650 };
const PERSONS: PerItem = PerItem { plain: 16, explained: 32 };
const INSTITUTIONS: PerItem = PerItem { plain: 280, explained: 1_250 };
const SPENDING: PerItem = PerItem { plain: 64, explained: 64 };
const EMPLOYEES: PerItem = PerItem { plain: 150, explained: 2_050 };
const HEADCOUNTS: PerItem = PerItem { plain: 280, explained: 920 };
const ARREARS: PerItem = PerItem { plain: 140, explained: 670 };
/// What a report holds besides its lists' items (sections, policies,
/// totals, their trail), at most.
const FIXED: PerItem = PerItem { plain: 64 << 10, explained: 256 << 10 };

impl Scenario {
    /// An upper bound of the bytes of this scenario's report, in any of its
    /// forms (JSON, pretty or not, tables, Markdown, CSV), with or without
    /// the audit trail (`explain`): a front end can refuse a report before
    /// building it. Lists read from files are not counted (a service reads
    /// none); `u64::MAX` past the range.
    pub fn report_bytes_bound(&self, explain: bool) -> u64 {
        let per = |p: &PerItem| if explain { p.explained } else { p.plain };
        let mut total = per(&FIXED);
        let mut add = |p: &PerItem, items: Option<usize>| {
            let bytes = u64::try_from(items.unwrap_or(0)).ok().and_then(|n| n.checked_mul(per(p)));
            total = bytes.and_then(|b| total.checked_add(b)).unwrap_or(u64::MAX);
        };
        if let Some(s) = &self.riskpool {
            add(&UNITS, s.units.as_ref().map(Vec::len));
        }
        if let Some(s) = &self.assistance {
            add(&COUNTIES, s.counties.as_ref().map(Vec::len));
        }
        if let Some(s) = &self.supplementary {
            add(&CLAIMS, s.claims.as_ref().map(Vec::len));
            add(&PERSONS, s.persons.as_ref().map(Vec::len));
        }
        if let Some(s) = &self.surplus {
            add(&INSTITUTIONS, s.institutions.as_ref().map(Vec::len));
            add(&SPENDING, s.spending.as_ref().map(Vec::len));
        }
        if let Some(c) = &self.contributions {
            add(&EMPLOYEES, c.employees.as_ref().map(Vec::len));
            add(&HEADCOUNTS, c.residents.as_ref().and_then(|r| r.headcounts.as_ref()).map(Vec::len));
            add(&ARREARS, c.late_fees.as_ref().and_then(|l| l.arrears.as_ref()).map(Vec::len));
        }
        total
    }
}
