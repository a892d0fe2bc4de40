//! Lists from Parquet and Arrow IPC files (`units_parquet = "units.parquet"`,
//! `employees_arrow = …`): the same columns as the CSV lists, each value
//! given to the same parsers as the text a CSV cell would hold
//! ([`medfund_columnar::TableRows`]), so a list reads alike from every
//! format; a null is an absent optional field.

use medfund_columnar::{ColumnarError, Format, TableInput, TableRows};
use serde::de::DeserializeOwned;
use serde::de::value::MapDeserializer;

use crate::csvin::Cell;
use crate::error::{ScenarioError, ScenarioResult, codes};
use crate::scenario::Source;

/// Reads every row of the Parquet or Arrow IPC list `file` (of the key
/// `field`) into `T`. Errors name the file, the row (1-based, as in a CSV
/// list) and the column.
pub(crate) fn read_rows<T: DeserializeOwned>(
    source: &Source,
    field: &str,
    file: &str,
    format: Format,
) -> ScenarioResult<Vec<T>> {
    let list = source.lists.open(field, file, &source.limits).map_err(|e| e.at(&source.name))?;
    let shown = list.shown.clone();
    let input = match list.file {
        Some(f) => TableInput::File(f),
        None => {
            let mut bytes = Vec::new();
            let mut reader = list.reader;
            std::io::Read::read_to_end(&mut reader, &mut bytes).map_err(|e| {
                ScenarioError::input(format!("{field}: cannot read {shown}: {e}")).with_code(codes::UNREADABLE)
            })?;
            TableInput::Bytes(bytes)
        }
    };
    let error = |e: ColumnarError| match e {
        ColumnarError::Format { .. } => {
            ScenarioError::input(format!("{field}: {e}")).at(&shown).with_code(codes::UNREADABLE)
        }
        ColumnarError::Io { .. } => ScenarioError::io(format!("{field}: {e}")),
        ColumnarError::Column { problem, expected, .. } => {
            ScenarioError::input(format!("{problem}; expected {expected}")).at(&shown)
        }
        _ => ScenarioError::input(e.to_string()).at(&shown),
    };
    let table = TableRows::open(format, input, std::path::Path::new(&shown)).map_err(error)?;
    let columns: Vec<String> = table.columns().to_vec();
    let mut rows = Vec::new();
    let mut each = |row: u64, cells: &[Option<&str>]| -> Result<(), Failed> {
        let row = row.saturating_add(1);
        if cells.iter().all(Option::is_none) {
            return Err(Failed::Scenario(ScenarioError::input(format!(
                "row {row}: every cell is null; expected a value in each required column, or delete the row"
            ))));
        }
        let present = columns.iter().zip(cells).filter_map(|(k, v)| v.map(|v| (k.as_str(), Cell(v))));
        let de: MapDeserializer<'_, _, serde::de::value::Error> = MapDeserializer::new(present);
        let value: T = serde_path_to_error::deserialize(de).map_err(|e| {
            let column = e.path().to_string();
            let column = if column == "." { String::new() } else { format!("column {column}: ") };
            Failed::Scenario(ScenarioError::input(format!("row {row}: {column}{}", e.inner())))
        })?;
        rows.push(value);
        Ok(())
    };
    table.for_each(&mut each).map_err(|f| match f {
        Failed::Scenario(e) => e.at(&shown),
        Failed::Columnar(e) => error(e),
    })?;
    Ok(rows)
}

/// Why reading a row stopped: the file, or the row's value.
enum Failed {
    Columnar(ColumnarError),
    Scenario(ScenarioError),
}

impl From<ColumnarError> for Failed {
    fn from(e: ColumnarError) -> Failed {
        Failed::Columnar(e)
    }
}
