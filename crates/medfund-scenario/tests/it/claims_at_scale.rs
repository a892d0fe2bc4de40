//! §5.3: claims at scale. The partitioned and streamed settlement equals
//! the in-memory split (`split_claims_in_force`, today's path) row for row
//! on the splits and byte for byte on the summaries, at 5·10⁴ claims (10⁶
//! in the full check, `scale_common::size`), for
//! several partition counts and a budget small enough to force spilling;
//! results appear under their final name only when complete, and no
//! temporary file survives a run, whether it succeeds or fails.
#![allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing, clippy::arithmetic_side_effects, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Date32Array, Decimal128Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use medfund_columnar::tables::splits_of;
use medfund_core::{Money, NaiveDate};
use medfund_insurer::{Claim, ClaimSplit};
use medfund_scenario::{ClaimsRun, Inline, Limits, ScenarioFormat, parse_scenario, render_json, run_scenario_with};

use crate::scale_common;

use scale_common::{ClaimRow, folder};

/// How many claims the equality test settles.
fn n() -> usize {
    scale_common::size(50_000, 1_000_000)
}

fn claims(n: usize, sorted: bool) -> Vec<ClaimRow> {
    scale_common::claims(n, sorted, 7, 4_000_000)
}

fn write_parquet(path: &Path, rows: &[ClaimRow]) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("claim_id", DataType::Utf8, false),
        Field::new("person", DataType::Utf8, false),
        Field::new("date", DataType::Date32, false),
        Field::new("eligible_cost", DataType::Decimal128(18, 2), false),
    ]));
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, Arc::clone(&schema), None).unwrap();
    for chunk in rows.chunks(100_000) {
        let arrays: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter_values(chunk.iter().map(|r| r.0.as_str()))),
            Arc::new(StringArray::from_iter_values(chunk.iter().map(|r| r.1.as_str()))),
            Arc::new(Date32Array::from_iter_values(
                chunk.iter().map(|r| i32::try_from((r.2 - epoch).num_days()).unwrap()),
            )),
            Arc::new(
                Decimal128Array::from_iter_values(chunk.iter().map(|r| i128::from(r.3)))
                    .with_precision_and_scale(18, 2)
                    .unwrap(),
            ),
        ];
        w.write(&RecordBatch::try_new(Arc::clone(&schema), arrays).unwrap()).unwrap();
    }
    w.close().unwrap();
}

fn read_splits(path: &Path) -> (Vec<ClaimSplit>, Vec<String>) {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    let ids = batches
        .iter()
        .flat_map(|b| {
            let a = b.column_by_name("claim_id").unwrap();
            let a = a.as_any().downcast_ref::<StringArray>().unwrap();
            a.iter().map(|v| v.unwrap().to_owned()).collect::<Vec<_>>()
        })
        .collect();
    (splits_of(&batches).unwrap(), ids)
}

fn scenario(file: &str, sorted: bool) -> medfund_scenario::Scenario {
    let text = format!(
        "[supplementary]\ninsured_persons = 1000000\nclaims_parquet = \"{file}\"\nclaims_sorted_by_person = {sorted}\n"
    );
    parse_scenario(&text, ScenarioFormat::Toml, "s.toml").unwrap()
}

/// Runs `s` in `dir` with `run`; the report's JSON.
fn run(s: &medfund_scenario::Scenario, dir: &Path, run: &ClaimsRun) -> Result<String, String> {
    run_scenario_with(s, "s.toml", dir.to_path_buf(), false, &Limits::default(), run)
        .map(|r| render_json(&r, false).unwrap())
        .map_err(|e| e[0].to_string())
}

/// The years of a report, as JSON text.
fn years(report: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(report).unwrap();
    v["supplementary"]["years"].to_string()
}

fn is_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn partitioned_and_streamed_settlement_equals_the_in_memory_split() {
    let dir = folder("equal");
    let temp = folder("equal-temp");
    let n = n();
    let rows = claims(n, false);
    write_parquet(&dir.join("claims.parquet"), &rows);
    // Today's path: every claim in memory, split at once.
    let version = medfund_insurer::xiamen_2007().unwrap();
    let all: Vec<Claim<&str>> =
        rows.iter().map(|r| Claim { person: r.1.as_str(), date: r.2, eligible_cost: Money::from_fen(r.3) }).collect();
    let expected = medfund_insurer::split_claims_in_force(&version, 1_000_000, &all).unwrap();
    let expected_years = serde_json::to_string(&expected.years).unwrap();
    let s = scenario("claims.parquet", false);
    let base = ClaimsRun::default().with_temp_dir(&temp);
    for (name, options) in [
        ("in memory", base.clone().with_partitions(1)),
        // The default: partitions in memory, rows gathered back by their numbers.
        ("the default", base.clone()),
        ("3 partitions", base.clone().with_partitions(3)),
        ("17 partitions", base.clone().with_partitions(17)),
        // 1 MiB per 10^6 claims (≈ 40 MB of records): hundreds of spilled partitions.
        ("a small budget", base.clone().with_memory_budget(scale_common::spilling_budget(n))),
    ] {
        let out = dir.join(format!("splits-{}.parquet", name.replace(' ', "-")));
        let report = run(&s, &dir, &options.with_out(&out)).unwrap();
        assert_eq!(years(&report), expected_years, "{name}: summaries");
        let (splits, ids) = read_splits(&out);
        assert_eq!(splits.len(), n, "{name}");
        for (i, (got, want)) in splits.iter().zip(&expected.claims).enumerate() {
            assert_eq!(got, want, "{name}: claim {i}");
        }
        assert!(ids.iter().zip(&rows).all(|(id, r)| *id == r.0), "{name}: claim ids in input order");
        assert!(is_empty(&temp), "{name}: temporary files left in {}", temp.display());
    }
    // Sorted by person, streamed without partitions: the same splits of the same claims.
    let sorted = claims(n, true);
    write_parquet(&dir.join("sorted.parquet"), &sorted);
    let by_id: std::collections::HashMap<&str, usize> =
        rows.iter().enumerate().map(|(i, r)| (r.0.as_str(), i)).collect();
    let out = dir.join("splits-sorted.parquet");
    let report = run(&scenario("sorted.parquet", true), &dir, &base.clone().with_out(&out)).unwrap();
    assert_eq!(years(&report), expected_years, "sorted: summaries");
    let (splits, ids) = read_splits(&out);
    for (split, id) in splits.iter().zip(&ids) {
        assert_eq!(split, &expected.claims[by_id[id.as_str()]], "sorted: claim {id}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&temp);
}

/// #36 (1): no claim is lost silently. A footer that names 66,536 rows
/// over pages that hold 65,536 was read as 65,536 claims, settled, exit 0.
#[test]
fn a_parquet_file_whose_pages_hold_fewer_rows_than_its_metadata_names_is_refused() {
    let dir = folder("short");
    let path = dir.join("claims.parquet");
    write_parquet(&path, &claims(65_536, false));
    let mut bytes = std::fs::read(&path).unwrap();
    // The footer: its length in the 4 bytes before the closing `PAR1`.
    let end = bytes.len() - 8;
    let length = u32::from_le_bytes(bytes[end..end + 4].try_into().unwrap()) as usize;
    // 65,536 and 66,536 as Thrift compact i64s (zigzag varints) of equal length.
    let (from, to) = ([0x80_u8, 0x80, 0x08], [0xd0_u8, 0x8f, 0x08]);
    let mut patched = 0;
    for at in end - length..end - 3 {
        if bytes[at..at + 3] == from {
            bytes[at..at + 3].copy_from_slice(&to);
            patched += 1;
        }
    }
    assert!(patched >= 2, "the file's and the row group's row counts");
    std::fs::write(&path, bytes).unwrap();
    let out = dir.join("splits.parquet");
    let e = run(&scenario("claims.parquet", false), &dir, &ClaimsRun::default().with_out(&out)).unwrap_err();
    assert!(e.contains("claims.parquet") && e.contains("66536"), "{e}");
    assert!(!out.exists(), "a results file of a refused run");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_failed_run_leaves_no_results_file_and_no_temporary_file() {
    let dir = folder("fail");
    let temp = folder("fail-temp");
    let mut rows = claims(200_000, false);
    // A claim dated before the policy, near the end: found in the first pass,
    // after every partition has been written to.
    rows[199_990].2 = NaiveDate::from_ymd_opt(2005, 7, 1).unwrap();
    write_parquet(&dir.join("claims.parquet"), &rows);
    let out = dir.join("splits.parquet");
    let options = ClaimsRun::default().with_temp_dir(&temp).with_memory_budget(1 << 20).with_out(&out);
    let e = run(&scenario("claims.parquet", false), &dir, &options).unwrap_err();
    assert!(e.contains("supplementary.claims_parquet (claims.parquet) row 199991.date"), "{e}");
    assert!(!out.exists(), "a results file of a failed run");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("claims.parquet")], "only the input is left");
    assert!(is_empty(&temp), "temporary files left");
    // Unsorted rows declared sorted are refused, naming the row.
    let e = run(&scenario("claims.parquet", true), &dir, &ClaimsRun::default()).unwrap_err();
    assert!(e.contains("declared sorted by person"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&temp);
}

#[test]
fn the_report_inlines_claims_up_to_the_limit_or_when_asked() {
    let dir = folder("inline");
    write_parquet(&dir.join("claims.parquet"), &claims(1_000, false));
    let s = scenario("claims.parquet", false);
    let auto: serde_json::Value = serde_json::from_str(&run(&s, &dir, &ClaimsRun::default()).unwrap()).unwrap();
    assert_eq!(auto["supplementary"]["claims"].as_array().unwrap().len(), 1_000);
    assert_eq!(auto["supplementary"]["claims"][0]["claim_id"], "c-000000000");
    assert!(auto["supplementary"].get("claims_out").is_none());
    let never: serde_json::Value =
        serde_json::from_str(&run(&s, &dir, &ClaimsRun::default().with_inline(Inline::Never)).unwrap()).unwrap();
    assert!(never["supplementary"].get("claims").is_none());
    assert_eq!(never["supplementary"]["claims_out"]["rows"], 1_000);
    assert_eq!(never["supplementary"]["claims_out"]["inlined"], false);
    assert_eq!(never["supplementary"]["years"], auto["supplementary"]["years"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn one_stop_errors_name_the_row_of_the_claims_file() {
    let dir = folder("one-stop");
    let mut rows = claims(20, false);
    rows[12].2 = NaiveDate::from_ymd_opt(2005, 7, 1).unwrap();
    write_parquet(&dir.join("claims.parquet"), &rows);
    // Persons given: the one-stop settlement (§5.2), through the engine like §5.
    let text = "[supplementary]\ninsured_persons = 1000\nclaims_parquet = \"claims.parquet\"\n\
                [[supplementary.persons]]\nid = \"p-0000000\"\nstatus = \"employee\"\n";
    let s = parse_scenario(text, ScenarioFormat::Toml, "s.toml").unwrap();
    let e = run(&s, &dir, &ClaimsRun::default()).unwrap_err();
    assert!(e.contains("supplementary.claims_parquet (claims.parquet) row 13.date"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}
