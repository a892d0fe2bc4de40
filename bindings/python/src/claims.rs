//! `split_claims` on Arrow columns, through `medfund-columnar`: the same
//! column reader and the same result schema as `medfund run --claims-out`,
//! so that a table split here and a file written by the command are equal.
//! Persons are borrowed from the Arrow buffers, never copied.

use arrow_array::RecordBatch;
use medfund_columnar::{ClaimColumns, ColumnarError, PersonKey};
use medfund_scenario::Claim;

pub(crate) use medfund_columnar::Unit;
pub(crate) use medfund_columnar::tables::{splits_batch, years_batch};

/// What is wrong with a column or a row, for the `InputError`.
pub(crate) type Bad = String;

fn bad(e: ColumnarError) -> Bad {
    e.to_string()
}

/// Claims with text or integer persons.
pub(crate) enum Either<'a> {
    /// Text persons.
    Text(Vec<Claim<&'a str>>),
    /// Integer persons.
    Int(Vec<Claim<i64>>),
}

/// The claims of every batch, persons borrowed.
pub(crate) fn read(batches: &[RecordBatch], unit: Unit) -> Result<Either<'_>, Bad> {
    // Reserved once: growing a vector of 10^6 claims by doubling copies it
    // twenty times and touches twice the pages.
    let total = batches
        .iter()
        .try_fold(0_usize, |n, b| n.checked_add(b.num_rows()))
        .expect("invariant: a row count fits usize");
    let mut text: Vec<Claim<&str>> = Vec::new();
    let mut int: Vec<Claim<i64>> = Vec::new();
    let mut first = 0_u64;
    for batch in batches {
        let columns = ClaimColumns::of(batch, first, unit).map_err(bad)?;
        let into_text = columns.text_persons();
        if (into_text && !int.is_empty()) || (!into_text && !text.is_empty()) {
            return Err("claims: column person is integers in one batch and text in another; expected one type".into());
        }
        for i in 0..columns.len() {
            let (date, eligible_cost) = (columns.date(i).map_err(bad)?, columns.cost(i).map_err(bad)?);
            match columns.person(i) {
                PersonKey::Text(person) => {
                    text.reserve(total.saturating_sub(text.len()));
                    text.push(Claim { person, date, eligible_cost });
                }
                PersonKey::Int(person) => {
                    int.reserve(total.saturating_sub(int.len()));
                    int.push(Claim { person, date, eligible_cost });
                }
            }
        }
        first = first.checked_add(batch.num_rows() as u64).expect("invariant: a row count fits u64");
    }
    Ok(if int.is_empty() { Either::Text(text) } else { Either::Int(int) })
}

/// Year summaries back from a per-year table (of `years_batch`), for merging parts.
pub(crate) fn years_of(batches: &[RecordBatch]) -> Result<Vec<medfund_scenario::YearSummary>, Bad> {
    medfund_columnar::tables::years_of(batches).map_err(bad)
}

/// Splits back from a per-claim table (of `splits_batch`), for summaries of a part.
pub(crate) fn splits_of(batches: &[RecordBatch]) -> Result<Vec<medfund_scenario::ClaimSplit>, Bad> {
    medfund_columnar::tables::splits_of(batches).map_err(bad)
}

/// The partition (0..n) of each claim's person: all claims of one person
/// get the same number, in every process (the stable hash the command's
/// partitions use).
pub(crate) fn person_buckets(batches: &[RecordBatch], n: u32) -> Result<Vec<u32>, Bad> {
    if n == 0 || n > 65_536 {
        return Err(format!("buckets: {n}; expected 1 to 65536"));
    }
    let mut out = Vec::new();
    let mut first = 0_u64;
    for b in batches {
        let columns = ClaimColumns::of(b, first, Unit::Yuan).map_err(bad)?;
        out.extend((0..columns.len()).map(|i| {
            let r = columns.person(i).stable_hash().checked_rem(u64::from(n)).expect("invariant: n ≥ 1 was checked");
            u32::try_from(r).expect("invariant: a remainder below n fits u32")
        }));
        first = first.checked_add(b.num_rows() as u64).expect("invariant: a row count fits u64");
    }
    Ok(out)
}
