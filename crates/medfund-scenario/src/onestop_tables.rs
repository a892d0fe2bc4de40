//! The tables of the claims of a `[supplementary]` report and of its
//! one-stop settlement (§5.2), for the renderers.

use medfund_insurer::{Hardship, SettlementTotals, Status, SubsidyOrder};

use crate::render::{Cell, Table, columns};
use crate::report::{ClaimReport, ClaimsOut, OneStopReport, SupplementaryReport};
use crate::report_tables::{kv_table, label, money, text};

/// One row per claim; the subsidy columns only when settled in one stop,
/// the claim id only when a claim has one.
pub(crate) fn claims_table(s: &SupplementaryReport, claims: &[ClaimReport]) -> Table {
    let one_stop = s.one_stop.is_some();
    let ids = claims.iter().any(|c| c.claim_id.is_some());
    let mut cols = if ids { columns([("claim_id", "理赔编号", "claim id")]) } else { Vec::new() };
    cols.extend(columns([
        ("person", "参保人", "person"),
        ("date", "日期", "date"),
        ("medical_year", "医保年度", "medical year"),
        ("fund", "统筹基金", "fund"),
        ("insurer", "保险公司", "insurer"),
    ]));
    if one_stop {
        cols.extend(columns([
            ("civil_servant", "公务员医疗补助", "civil-servant subsidy"),
            ("civil_servant_above_max", "公务员超限额补助", "civil-servant, beyond the maximum"),
            ("hardship", "困难补助", "hardship subsidy"),
        ]));
    }
    cols.extend(columns([("person_pays", "个人自付", "person pays")]));
    let rows = claims
        .iter()
        .map(|c| {
            let mut row = Vec::with_capacity(9);
            if ids {
                row.push(text(c.claim_id.clone().unwrap_or_default()));
            }
            row.extend([
                text(c.person.clone()),
                text(c.date.to_string()),
                Cell::Int(i64::from(c.split.medical_year)),
                money(c.split.fund),
                money(c.split.insurer),
            ]);
            if let Some(sub) = c.subsidies.filter(|_| one_stop) {
                row.extend([money(sub.civil_servant), money(sub.civil_servant_above_max), money(sub.hardship)]);
            }
            row.push(money(c.split.person_pays));
            row
        })
        .collect();
    Table {
        name: "supplementary_claims".into(), title: ("逐笔理赔分担".into(), "Claims".into()), columns: cols, rows
    }
}

/// Where the per-claim results went when the report does not inline them (§5.3).
pub(crate) fn claims_out_table(c: &ClaimsOut) -> Table {
    out_table(c, "supplementary_claims_out", ("逐笔理赔结果", "Per-claim results"), ("理赔笔数", "claims"))
}

/// Where a table's rows went (§5.3), as a key-value table.
fn out_table(c: &ClaimsOut, name: &str, title: (&str, &str), rows: (&'static str, &'static str)) -> Table {
    kv_table(
        name.into(),
        (title.0.into(), title.1.into()),
        vec![
            (
                "rows",
                rows.0,
                rows.1,
                Cell::Int(i64::try_from(c.rows).expect("invariant: a count of claims fits an i64")),
            ),
            ("inlined", "报告内列示", "in this report", Cell::Flag(Some(c.inlined))),
            ("file", "结果文件", "file", text(c.file.clone().unwrap_or_else(|| "—".into()))),
        ],
    )
}

/// The payer columns of a row of totals.
fn totals_cells(t: &SettlementTotals) -> [Cell; 8] {
    [
        Cell::Int(i64::try_from(t.claims).expect("invariant: a count of claims fits an i64")),
        money(t.eligible_cost),
        money(t.fund),
        money(t.insurer),
        money(t.civil_servant),
        money(t.civil_servant_above_max),
        money(t.hardship),
        money(t.person_pays),
    ]
}

fn totals_columns() -> Vec<crate::render::Column> {
    columns([
        ("claims", "笔数", "claims"),
        ("eligible_cost", "合规费用", "eligible cost"),
        ("fund", "统筹基金", "fund"),
        ("insurer", "保险公司", "insurer"),
        ("civil_servant", "公务员医疗补助", "civil-servant subsidy"),
        ("civil_servant_above_max", "公务员超限额补助", "civil-servant, beyond the maximum"),
        ("hardship", "困难补助", "hardship subsidy"),
        ("person_pays", "个人自付", "person pays"),
    ])
}

fn status(s: Status) -> Cell {
    match s {
        Status::Retired => label("retired", "退休职工", "retired"),
        Status::CivilServant => label("civil-servant", "公务员", "civil servant"),
        Status::RetiredCivilServant => label("retired-civil-servant", "退休公务员", "retired civil servant"),
        Status::Migrant => label("migrant", "外来从业人员", "migrant worker"),
        _ => label("employee", "在职职工", "employee"),
    }
}

fn hardship(h: Option<Hardship>) -> Cell {
    match h {
        Some(Hardship::SubsistenceAllowance) => label("subsistence-allowance", "低保对象", "subsistence allowance"),
        Some(Hardship::LowPension) => label("low-pension", "低退休金", "low pension"),
        _ => text("—"),
    }
}

/// Medical years, person-years and the levy of a one-stop settlement.
pub(crate) fn one_stop_tables(o: &OneStopReport, out: &mut Vec<Table>) {
    let order = match o.order {
        SubsidyOrder::HardshipFirst => "hardship-first",
        _ => "civil-servant-first",
    };
    let mut cols = columns([("medical_year", "医保年度", "medical year")]);
    cols.extend(totals_columns());
    out.push(Table {
        name: "supplementary_one_stop_years".into(),
        title: (
            format!("一站式结算 · 医保年度 · {} · {order}", o.policy),
            format!("One-stop settlement · medical years · {} · {order}", o.policy),
        ),
        columns: cols,
        rows: o
            .years
            .iter()
            .map(|y| {
                let mut row = vec![Cell::Int(i64::from(y.medical_year))];
                row.extend(totals_cells(&y.totals));
                row
            })
            .collect(),
    });
    if let Some(c) = &o.person_years_out {
        out.push(out_table(
            c,
            "supplementary_person_years_out",
            ("一站式结算 · 逐人逐年结果", "One-stop settlement · per-person-year results"),
            ("人年数", "person-years"),
        ));
    }
    // Not inlined (§5.3): the person-years went to a file, or nowhere.
    if let Some(person_years) = &o.person_years {
        let mut cols = columns([
            ("person", "参保人", "person"),
            ("status", "人员类别", "status"),
            ("hardship_category", "困难类别", "hardship"),
            ("medical_year", "医保年度", "medical year"),
        ]);
        cols.extend(totals_columns());
        out.push(Table {
            name: "supplementary_person_years".into(),
            title: ("一站式结算 · 逐人逐年".into(), "One-stop settlement · per person and medical year".into()),
            columns: cols,
            rows: person_years
                .iter()
                .map(|p| {
                    let mut row = vec![
                        text(p.person.clone()),
                        status(p.status),
                        hardship(p.hardship_category),
                        Cell::Int(i64::from(p.medical_year)),
                    ];
                    row.extend(totals_cells(&p.totals));
                    row
                })
                .collect(),
        });
    }
    if let Some(l) = &o.civil_servant_levy {
        let mut rows = vec![
            ("wage_base", "缴费工资基数", "wage base", money(l.wage_base)),
            ("yearly", "全年征缴", "yearly", money(l.yearly)),
        ];
        const MONTHS: [(&str, &str, &str); 12] = [
            ("m01", "1月", "January"),
            ("m02", "2月", "February"),
            ("m03", "3月", "March"),
            ("m04", "4月", "April"),
            ("m05", "5月", "May"),
            ("m06", "6月", "June"),
            ("m07", "7月", "July"),
            ("m08", "8月", "August"),
            ("m09", "9月", "September"),
            ("m10", "10月", "October"),
            ("m11", "11月", "November"),
            ("m12", "12月", "December"),
        ];
        rows.extend(MONTHS.iter().zip(l.monthly).map(|(&(k, zh, en), m)| (k, zh, en, money(m))));
        out.push(kv_table(
            "supplementary_civil_servant_levy".into(),
            // The rate in the title: a text row would turn the money column to text.
            (format!("公务员医疗补助经费征缴 · {}", l.rate), format!("Civil-servant subsidy levy · {}", l.rate)),
            rows,
        ));
    }
}
