//! Tables of a report (the model of the text renderers) as Arrow record
//! batches: money columns `decimal128(18, 2)` built from the fen directly
//! (the fen *is* the decimal's unscaled value), never through a float.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Decimal128Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use medfund_scenario::Lang;
use medfund_scenario::tables::{Cell, Table};

/// The Arrow type of a money column: 18 digits, 2 of them decimals (fen).
pub(crate) use medfund_columnar::tables::MONEY;

/// What one column holds, from its cells: one kind throughout (unknowns
/// aside), or text for a mixed column (each cell as the CSV writes it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Money,
    Int,
    Flag,
    Text,
}

fn kind_of(rows: &[Vec<Cell>], column: usize) -> Kind {
    let mut kind: Option<Kind> = None;
    for row in rows {
        let k = match row.get(column) {
            Some(Cell::Money(_)) => Kind::Money,
            Some(Cell::Int(_)) => Kind::Int,
            Some(Cell::Flag(_)) => Kind::Flag,
            _ => Kind::Text,
        };
        match kind {
            None => kind = Some(k),
            Some(seen) if seen != k => return Kind::Text,
            Some(_) => {}
        }
    }
    kind.unwrap_or(Kind::Text)
}

fn text(cell: Option<&Cell>, lang: Lang) -> Option<String> {
    match cell? {
        Cell::Text(t) => Some(medfund_scenario::tables::localized(t, lang)),
        Cell::Money(m) => m.map(|m| m.to_string()),
        Cell::Flag(f) => f.map(|f| f.to_string()),
        Cell::Int(i) => Some(i.to_string()),
    }
}

/// One table as a record batch (money as int64 fen with `fen`); column names are the labels in `lang`,
/// and the schema's metadata holds the table's `name` and `title`.
pub(crate) fn batch(table: &Table, lang: Lang, fen: bool) -> Result<RecordBatch, ArrowError> {
    let mut fields = Vec::with_capacity(table.columns.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(table.columns.len());
    for (c, column) in table.columns.iter().enumerate() {
        let label = match lang {
            Lang::En => column.en.to_string(),
            _ => column.zh.to_string(),
        };
        let cells = table.rows.iter().map(|r| r.get(c));
        let (data_type, array): (DataType, ArrayRef) = match kind_of(&table.rows, c) {
            Kind::Money if fen => {
                let mut b = Int64Builder::with_capacity(table.rows.len());
                for cell in cells {
                    match cell {
                        Some(Cell::Money(Some(m))) => b.append_value(m.fen()),
                        _ => b.append_null(),
                    }
                }
                (DataType::Int64, Arc::new(b.finish()))
            }
            Kind::Money => {
                let mut b = Decimal128Builder::with_capacity(table.rows.len());
                for cell in cells {
                    match cell {
                        Some(Cell::Money(Some(m))) => b.append_value(i128::from(m.fen())),
                        _ => b.append_null(),
                    }
                }
                (MONEY, Arc::new(b.finish().with_precision_and_scale(18, 2)?))
            }
            Kind::Int => {
                let mut b = Int64Builder::with_capacity(table.rows.len());
                for cell in cells {
                    match cell {
                        Some(Cell::Int(i)) => b.append_value(*i),
                        _ => b.append_null(),
                    }
                }
                (DataType::Int64, Arc::new(b.finish()))
            }
            Kind::Flag => {
                let mut b = BooleanBuilder::with_capacity(table.rows.len());
                for cell in cells {
                    match cell {
                        Some(Cell::Flag(Some(f))) => b.append_value(*f),
                        _ => b.append_null(),
                    }
                }
                (DataType::Boolean, Arc::new(b.finish()))
            }
            Kind::Text => {
                let mut b = StringBuilder::new();
                for cell in cells {
                    b.append_option(text(cell, lang));
                }
                (DataType::Utf8, Arc::new(b.finish()))
            }
        };
        fields.push(Field::new(label, data_type, true));
        arrays.push(array);
    }
    let title = match lang {
        Lang::En => table.title.1.clone(),
        _ => table.title.0.clone(),
    };
    let metadata = [("name".to_owned(), table.name.clone()), ("title".to_owned(), title)].into_iter().collect();
    RecordBatch::try_new(Arc::new(Schema::new_with_metadata(fields, metadata)), arrays)
}
