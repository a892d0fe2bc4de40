//! Claims files for the benchmarks of claims at scale.
#![allow(clippy::unwrap_used, clippy::arithmetic_side_effects)]

use std::io::Write;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

/// Rows per batch written.
const BATCH: u64 = 1 << 16;

/// Writes `n` claims to `dir/claims.{format}` (`csv`, `parquet` or `arrow`)
/// and `dir/scenario.toml` reading them; returns the claims file.
///
/// Persons are `p-0000000`…, one per five claims on average, dates over
/// 2023–2024, costs up to 40,000 yuan, ids `c-000000000`…; the same claims
/// in every format.
pub fn write_claims(
    n: u64,
    dir: &std::path::Path,
    format: &str,
) -> Result<std::path::PathBuf, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let mut g = crate::Gen::new(42);
    let persons = (n / 5).max(1);
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let first = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("claim_id", DataType::Utf8, false),
        Field::new("person", DataType::Utf8, false),
        Field::new("date", DataType::Date32, false),
        Field::new("eligible_cost", DataType::Decimal128(18, 2), false),
    ]));
    let file = dir.join(format!("claims.{format}"));
    let mut csv = None;
    let mut parquet = None;
    let mut ipc = None;
    let out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&file)?);
    match format {
        "csv" => {
            let mut out = out;
            writeln!(out, "claim_id,person,date,eligible_cost")?;
            csv = Some(out);
        }
        "parquet" => {
            let props = medfund_columnar::parquet_properties();
            parquet = Some(parquet::arrow::ArrowWriter::try_new(out, Arc::clone(&schema), Some(props))?);
        }
        "arrow" => ipc = Some(arrow_ipc::writer::FileWriter::try_new(out, &schema)?),
        other => return Err(format!("format {other:?}; expected csv, parquet or arrow").into()),
    }
    let mut row = 0_u64;
    while row < n {
        let len = BATCH.min(n - row);
        let (mut ids, mut who, mut days, mut fen) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in 0..len {
            let person = g.below(persons);
            let date = first + chrono::Days::new(g.below(730));
            let cost = g.below(4_000_000);
            if let Some(out) = &mut csv {
                writeln!(out, "c-{:09},p-{person:07},{date},{}.{:02}", row + k, cost / 100, cost % 100)?;
            } else {
                ids.push(format!("c-{:09}", row + k));
                who.push(format!("p-{person:07}"));
                days.push(i32::try_from((date - epoch).num_days()).unwrap());
                fen.push(i128::from(cost));
            }
        }
        if csv.is_none() {
            let arrays: Vec<ArrayRef> = vec![
                Arc::new(StringArray::from(ids)),
                Arc::new(StringArray::from(who)),
                Arc::new(Date32Array::from(days)),
                Arc::new(Decimal128Array::from(fen).with_precision_and_scale(18, 2)?),
            ];
            let batch = RecordBatch::try_new(Arc::clone(&schema), arrays)?;
            if let Some(w) = &mut parquet {
                w.write(&batch)?;
            }
            if let Some(w) = &mut ipc {
                w.write(&batch)?;
            }
        }
        row += len;
    }
    if let Some(mut out) = csv {
        out.flush()?;
    }
    if let Some(w) = parquet {
        w.close()?;
    }
    if let Some(mut w) = ipc {
        w.finish()?;
    }
    std::fs::write(
        dir.join("scenario.toml"),
        format!("[supplementary]\ninsured_persons = 1000000\nclaims_{format} = \"claims.{format}\"\n"),
    )?;
    Ok(file)
}
