//! The projection report as tables (`medfund simulate --format table|csv|markdown`):
//! one per scheme and, when asked for, one of the units' statistics.

use crate::render::{Cell, Column, Table, columns};
use crate::simulate::Projection;

/// A standard error of a probability in a table: to six decimals (the JSON
/// report has it in full).
fn se(x: f64) -> String {
    format!("{x:.6}")
}

/// The projection as tables: one per scheme, then one of the units' statistics if asked for.
pub(crate) fn tables(p: &Projection) -> Vec<Table> {
    let mut tables = scheme_tables(p);
    if !p.units.is_empty() {
        tables.push(unit_table(p));
    }
    tables
}

/// `projection_units`: one row per unit and year.
fn unit_table(p: &Projection) -> Table {
    Table {
        name: "projection_units".into(),
        title: (
            format!("风险共济金多年预测 · 各统筹单位 · {} 次模拟 · 种子 {}", p.trials, p.seed),
            format!("Risk-fund projection · per unit · {} trials · seed {}", p.trials, p.seed),
        ),
        columns: columns([
            ("scheme", "险种", "scheme"),
            ("unit", "统筹单位", "unit"),
            ("year", "年度", "year"),
            ("p_gap", "当年出现缺口概率", "P(gap)"),
            ("p_gap_se", "标准误", "± se"),
            ("p_unresolved", "当年缺口未解决概率", "P(unresolved)"),
            ("p_unresolved_se", "标准误", "± se"),
            ("p_unresolved_cumulative", "截至当年累计未解决概率", "P(unresolved by this year)"),
            ("p_unresolved_cumulative_se", "标准误", "± se"),
            ("p_first_unresolved", "当年首次未解决概率", "P(first unresolved)"),
            ("p_first_unresolved_se", "标准误", "± se"),
            ("mean_from_risk_fund", "平均风险金调剂", "mean from fund"),
            ("mean_from_risk_fund_se", "标准误", "± se"),
            ("mean_unresolved", "平均未解决缺口", "mean unresolved"),
            ("mean_unresolved_se", "标准误", "± se"),
        ]),
        rows: p
            .units
            .iter()
            .flat_map(|u| {
                u.years.iter().map(|y| {
                    vec![
                        Cell::Text(u.scheme.key().to_owned()),
                        Cell::Text(u.id.clone()),
                        Cell::Int(i64::from(y.year)),
                        Cell::Text(y.p_gap.to_string()),
                        Cell::Text(se(y.p_gap_se)),
                        Cell::Text(y.p_unresolved.to_string()),
                        Cell::Text(se(y.p_unresolved_se)),
                        Cell::Text(y.p_unresolved_cumulative.to_string()),
                        Cell::Text(se(y.p_unresolved_cumulative_se)),
                        Cell::Text(y.p_first_unresolved.to_string()),
                        Cell::Text(se(y.p_first_unresolved_se)),
                        Cell::Money(Some(y.mean_from_risk_fund)),
                        Cell::Money(y.mean_from_risk_fund_se),
                        Cell::Money(Some(y.mean_unresolved)),
                        Cell::Money(y.mean_unresolved_se),
                    ]
                })
            })
            .collect(),
    }
}

/// The schemes' tables, one per scheme.
fn scheme_tables(p: &Projection) -> Vec<Table> {
    p.iter()
        .map(|(scheme, years)| {
            // The asked-for quantiles are the same every year.
            let quantiles: Vec<u32> =
                years.first().map(|y| y.quantiles.iter().map(|q| q.p).collect()).unwrap_or_default();
            let mut names = columns([
                ("year", "年度", "year"),
                ("p5", "年末余额P5", "closing p5"),
                ("p50", "年末余额P50", "closing p50"),
                ("p95", "年末余额P95", "closing p95"),
                ("mean_closing_balance", "年末余额均值", "mean closing"),
                ("mean_closing_balance_se", "均值标准误", "± se"),
                ("p_actuarial_review", "当年需精算评估概率", "P(review this year)"),
                ("p_actuarial_review_se", "标准误", "± se"),
                ("p_review_cumulative", "截至当年累计评估概率", "P(review by this year)"),
                ("p_review_cumulative_se", "标准误", "± se"),
                ("p_first_review", "当年首次评估概率", "P(first review this year)"),
                ("mean_unresolved", "平均未解决缺口", "mean unresolved"),
                ("mean_unresolved_se", "标准误", "± se"),
            ]);
            for q in &quantiles {
                for (key, zh, en) in [("closing", "年末余额", "closing"), ("unresolved", "未解决缺口", "unresolved")]
                {
                    names.push(Column {
                        key: format!("{key}_p{q}").into(),
                        zh: format!("{zh}P{q}").into(),
                        en: format!("{en} p{q}").into(),
                    });
                }
            }
            Table {
                name: format!("projection_{}", scheme.key()),
                title: (
                    format!("风险共济金多年预测 · {} · {} 次模拟 · 种子 {}", scheme.name_zh(), p.trials, p.seed),
                    format!("Risk-fund projection · {} · {} trials · seed {}", scheme.key(), p.trials, p.seed),
                ),
                columns: names,
                rows: years
                    .iter()
                    .map(|y| {
                        let mut row = vec![
                            Cell::Int(i64::from(y.year)),
                            Cell::Money(Some(y.closing_balance.p5)),
                            Cell::Money(Some(y.closing_balance.p50)),
                            Cell::Money(Some(y.closing_balance.p95)),
                            Cell::Money(Some(y.mean_closing_balance)),
                            Cell::Money(y.mean_closing_balance_se),
                            Cell::Text(y.p_actuarial_review.to_string()),
                            Cell::Text(se(y.p_actuarial_review_se)),
                            Cell::Text(y.p_review_cumulative.to_string()),
                            Cell::Text(se(y.p_review_cumulative_se)),
                            Cell::Text(y.p_first_review.to_string()),
                            Cell::Money(Some(y.mean_unresolved)),
                            Cell::Money(y.mean_unresolved_se),
                        ];
                        for q in &y.quantiles {
                            row.push(Cell::Money(Some(q.closing_balance)));
                            row.push(Cell::Money(Some(q.unresolved)));
                        }
                        row
                    })
                    .collect(),
            }
        })
        .collect()
}
