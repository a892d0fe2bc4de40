//! The report as tables (report → [`Table`]): one builder per section, shared
//! by the table, markdown and CSV renderers.

use medfund_core::{Money, Step};
use medfund_insurer::AssistanceSettlement;

use crate::render::{Cell, Table, columns};
use crate::report::{Report, RiskpoolReport, SupplementaryReport, SurplusReport};

pub(crate) fn money(m: Money) -> Cell {
    Cell::Money(Some(m))
}

pub(crate) fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// A label in both languages; CSV writes `key`.
pub(crate) fn label(key: &str, zh: &str, en: &str) -> Cell {
    Cell::Text(format!("{zh}\u{1}{en}\u{1}{key}"))
}

/// Text written in both languages (English also for CSV); without a
/// Chinese text, the English one for both.
fn bilingual(zh: &str, en: &str) -> Cell {
    if zh.is_empty() { text(en) } else { label(en, zh, en) }
}

pub(crate) fn kv_table(
    name: String,
    title: (String, String),
    rows: Vec<(&'static str, &'static str, &'static str, Cell)>,
) -> Table {
    Table {
        name,
        title,
        columns: columns([("item", "项目", "item"), ("value", "数值", "value")]),
        rows: rows.into_iter().map(|(key, zh, en, v)| vec![label(key, zh, en), v]).collect(),
    }
}

/// Every table of a report, in section order.
pub(crate) fn tables(report: &Report) -> Vec<Table> {
    let mut out = Vec::new();
    if let Some(r) = &report.riskpool {
        riskpool_tables(r, &mut out);
    }
    if let Some(a) = &report.assistance {
        assistance_tables(a, &mut out);
    }
    if let Some(s) = &report.supplementary {
        supplementary_tables(s, &mut out);
    }
    if let Some(s) = &report.surplus {
        surplus_tables(s, &mut out);
    }
    if let Some(c) = &report.contributions {
        crate::contrib_tables::contributions_tables(c, &mut out);
    }
    if let Some(t) = &report.trace {
        out.push(trace_table(t));
    }
    out
}

fn riskpool_tables(r: &RiskpoolReport, out: &mut Vec<Table>) {
    for (scheme, s) in r.schemes.iter() {
        let t = &s.totals;
        out.push(kv_table(
            format!("riskpool_{}", scheme.key()),
            (
                format!("风险共济金 {} · {}年 · {}", scheme.name_zh(), r.year, r.policy),
                format!("Risk-sharing fund · {} · {} · {}", scheme.key(), r.year, r.policy),
            ),
            vec![
                ("revenue_base", "全盟收入合计", "revenue base", money(t.revenue_base)),
                ("cap", "滚存上限", "cap", money(t.cap)),
                ("opening_balance", "年初余额", "opening balance", money(t.opening_balance)),
                ("levy", "当年提取", "levy", money(t.levy)),
                ("draws", "调剂支出", "draws", money(t.draws)),
                ("closing_balance", "年末余额", "closing balance", money(t.closing_balance)),
                ("actuarial_review", "需精算评估", "actuarial review", Cell::Flag(Some(t.actuarial_review))),
            ],
        ));
        out.push(Table {
            name: format!("riskpool_{}_units", scheme.key()),
            title: (format!("各统筹单位 · {}", scheme.name_zh()), format!("Units · {}", scheme.key())),
            columns: columns([
                ("id", "单位", "unit"),
                ("levy_charge", "分摊提取", "levy charge"),
                ("result", "当年结余", "result"),
                ("gap", "缺口", "gap"),
                ("from_own_surplus", "自身滚存调剂", "from own surplus"),
                ("from_risk_fund", "共济金调剂", "from risk fund"),
                ("unresolved", "未解决缺口", "unresolved"),
                ("fiscal_subsidy_league", "盟级财政补助", "fiscal subsidy (league)"),
                ("fiscal_subsidy_unit", "旗级财政补助", "fiscal subsidy (unit)"),
                ("closing_rolling_surplus", "年末滚存结余", "closing rolling surplus"),
            ]),
            rows: s
                .units
                .iter()
                .map(|u| {
                    let o = &u.outcome;
                    vec![
                        text(u.name.as_ref().map_or_else(|| u.id.clone(), |n| format!("{n} ({})", u.id))),
                        money(o.levy_charge),
                        money(o.result),
                        money(o.gap),
                        money(o.from_own_surplus),
                        money(o.from_risk_fund),
                        money(o.unresolved),
                        Cell::Money(o.fiscal_subsidy_league),
                        Cell::Money(o.fiscal_subsidy_unit),
                        money(o.closing_rolling_surplus),
                    ]
                })
                .collect(),
        });
    }
}

fn assistance_tables(a: &AssistanceSettlement, out: &mut Vec<Table>) {
    out.push(Table {
        name: "assistance_years".into(),
        title: (
            format!("医疗救助承办结算 · {}", a.policy),
            format!("Insurer-run assistance settlement · {}", a.policy),
        ),
        columns: columns([
            ("county", "县区", "county"),
            ("service_year", "服务年度", "service year"),
            ("fee", "服务费", "fee"),
            ("fee_capped", "封顶", "capped"),
            ("prepay_march", "3月预拨", "March prepayment"),
            ("prepay_september", "9月预拨", "September prepayment"),
            ("annual_balance", "年度清算", "annual balance"),
            ("annual_settlement_deadline", "清算期限", "settlement deadline"),
            ("settled_late", "清算逾期", "settled late"),
            ("fee_advance", "服务费预拨", "fee advance"),
            ("fee_due", "服务费多退少补", "fee due"),
            ("fee_settlement_deadline", "服务费结算期限", "fee deadline"),
            ("fee_settled_late", "服务费逾期", "fee late"),
        ]),
        rows: a
            .counties
            .iter()
            .flat_map(|c| {
                c.years.iter().map(move |y| {
                    vec![
                        text(c.id.clone()),
                        Cell::Int(i64::from(y.service_year)),
                        money(y.fee),
                        Cell::Flag(Some(y.fee_capped)),
                        money(y.prepay_march),
                        money(y.prepay_september),
                        money(y.annual_balance),
                        text(y.annual_settlement_deadline.to_string()),
                        Cell::Flag(y.settled_late),
                        Cell::Money(y.fee_advance),
                        Cell::Money(y.fee_due),
                        text(y.fee_settlement_deadline.to_string()),
                        Cell::Flag(y.fee_settled_late),
                    ]
                })
            })
            .collect(),
    });
    out.push(Table {
        name: "assistance_schedule".into(),
        title: ("付款日程".into(), "Payment calendar".into()),
        columns: columns([
            ("date", "日期", "date"),
            ("flow", "资金渠道", "flow"),
            ("kind", "类别", "kind"),
            ("county", "县区", "county"),
            ("service_year", "服务年度", "service year"),
            ("amount", "金额", "amount"),
            ("payer", "付款方", "payer"),
            ("payee", "收款方", "payee"),
        ]),
        rows: a
            .schedule
            .iter()
            .map(|p| {
                let name = |v: &dyn erased::Named| v.key();
                vec![
                    text(p.date.to_string()),
                    enum_cell(&name(&p.flow)),
                    enum_cell(&name(&p.kind)),
                    text(p.county.clone()),
                    Cell::Int(i64::from(p.service_year)),
                    money(p.amount),
                    enum_cell(&name(&p.payer)),
                    enum_cell(&name(&p.payee)),
                ]
            })
            .collect(),
    });
}

/// A value of an enum of the report (its JSON key) as a cell that reads
/// Chinese in a Chinese table and stays the key in English and in CSV.
/// Rule: every key an enum of the report serialises to has an entry (a
/// test walks them); an unknown key shows as itself.
fn enum_cell(key: &str) -> Cell {
    let zh = match key {
        // medfund_insurer::Flow
        "assistance" => "医疗救助基金",
        "county-budget" => "县区财政",
        // medfund_insurer::PaymentKind
        "prepayment" => "预拨",
        "annual-settlement" => "年度清算",
        "fee-advance" => "服务费预拨",
        "fee-settlement" => "服务费结算",
        // medfund_insurer::Party
        "assistance-fund" => "医疗救助基金",
        "county" => "县区",
        "insurer" => "商业保险机构",
        // medfund_surplus::ViolationRule
        "category-not-allowed" => "用途不在允许范围",
        "over-allocation" => "支出超过分配额",
        other => return Cell::Text(other.to_owned()),
    };
    // English readers see the key itself, as in the JSON report.
    label(key, zh, key)
}

/// The kebab-case names of the insurer enums, as in JSON.
mod erased {
    pub(crate) trait Named {
        fn key(&self) -> String;
    }
    impl<T: serde::Serialize> Named for T {
        fn key(&self) -> String {
            match serde_json::to_value(self) {
                Ok(serde_json::Value::String(s)) => s,
                _ => String::new(),
            }
        }
    }
}

fn supplementary_tables(s: &SupplementaryReport, out: &mut Vec<Table>) {
    out.push(Table {
        name: "supplementary_years".into(),
        title: (
            format!("大额补充保险 · 医保年度 · {}", s.policy),
            format!("Supplementary insurance · medical years · {}", s.policy),
        ),
        columns: columns([
            ("medical_year", "医保年度", "medical year"),
            ("premiums", "保费", "premiums"),
            ("claims_paid", "理赔支出", "claims paid"),
            ("insurer_result", "保险公司盈亏", "insurer result"),
        ]),
        rows: s
            .years
            .iter()
            .map(|y| {
                vec![
                    Cell::Int(i64::from(y.medical_year)),
                    money(y.premiums),
                    money(y.claims_paid),
                    money(y.insurer_result),
                ]
            })
            .collect(),
    });
    if let Some(claims) = &s.claims {
        out.push(crate::onestop_tables::claims_table(s, claims));
    }
    if let Some(c) = &s.claims_out {
        out.push(crate::onestop_tables::claims_out_table(c));
    }
    if let Some(o) = &s.one_stop {
        crate::onestop_tables::one_stop_tables(o, out);
    }
}

fn surplus_tables(s: &SurplusReport, out: &mut Vec<Table>) {
    let a = &s.allocation;
    let mut rows = vec![("total", "结余留用总额", "total", money(a.total))];
    for e in &a.earmarks {
        rows.push(("earmark", "专项提取", "earmark", Cell::Text(format!("{}\u{2}{}", e.name, e.amount))));
    }
    rows.push(("primary_pool", "基层留用", "primary pool", money(a.primary_pool)));
    rows.push(("performance_pool", "绩效分配", "performance pool", money(a.performance_pool)));
    rows.push(("unallocated", "未分配", "unallocated", money(a.unallocated)));
    rows.push((
        "primary_share_of_total",
        "基层占比",
        "primary share of total",
        text(a.primary_share_of_total.map_or_else(|| "—".into(), |d| d.to_string())),
    ));
    out.push(kv_table(
        "surplus".into(),
        (format!("结余留用资金分配 · {}", s.policy), format!("Retained surplus allocation · {}", s.policy)),
        rows,
    ));
    out.push(Table {
        name: "surplus_institutions".into(),
        title: ("各医疗机构".into(), "Institutions".into()),
        columns: columns([
            ("id", "机构", "institution"),
            ("floor_share", "基层保底", "floor share"),
            ("performance_share", "绩效分配", "performance share"),
            ("total", "合计", "total"),
        ]),
        rows: a
            .institutions
            .iter()
            .zip(s.names.iter().chain(std::iter::repeat(&None)))
            .map(|(i, n)| {
                vec![
                    text(n.as_ref().map_or_else(|| i.id.clone(), |n| format!("{n} ({})", i.id))),
                    money(i.floor_share),
                    money(i.performance_share),
                    money(i.total),
                ]
            })
            .collect(),
    });
    if !a.violations.is_empty() {
        out.push(Table {
            name: "surplus_violations".into(),
            title: ("专款专用检查：违规".into(), "Earmarked-use violations".into()),
            columns: columns([
                ("institution", "机构", "institution"),
                ("rule", "规则", "rule"),
                ("detail", "说明", "detail"),
            ]),
            rows: a
                .violations
                .iter()
                .map(|v| {
                    vec![
                        text(v.institution.clone()),
                        enum_cell(&erased::Named::key(&v.rule)),
                        bilingual(&v.detail_zh, &v.detail),
                    ]
                })
                .collect(),
        });
    }
}

fn trace_table(steps: &[Step]) -> Table {
    Table {
        name: "trace".into(),
        title: ("审计轨迹".into(), "Audit trail".into()),
        columns: columns([
            ("figure", "数据项", "figure"),
            ("rule", "依据", "rule"),
            ("formula", "计算方法", "formula"),
            ("inputs", "输入", "inputs"),
            ("result", "结果", "result"),
        ]),
        rows: steps
            .iter()
            .map(|s| {
                let inputs = s.inputs.iter().map(|i| format!("{}={}", i.name, i.value)).collect::<Vec<_>>().join("; ");
                vec![
                    text(s.figure.clone()),
                    text(s.rule.to_string()),
                    bilingual(&s.formula_zh, &s.formula),
                    text(inputs),
                    text(s.result.clone()),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use medfund_insurer::{Flow, Party, PaymentKind};
    use medfund_surplus::ViolationRule;

    use super::erased::Named;
    use super::*;

    #[test]
    fn every_enum_value_of_the_report_has_chinese_and_english_labels() {
        let keys = [
            Flow::Assistance.key(),
            Flow::CountyBudget.key(),
            PaymentKind::Prepayment.key(),
            PaymentKind::AnnualSettlement.key(),
            PaymentKind::FeeAdvance.key(),
            PaymentKind::FeeSettlement.key(),
            Party::AssistanceFund.key(),
            Party::County.key(),
            Party::Insurer.key(),
            ViolationRule::CategoryNotAllowed.key(),
            ViolationRule::OverAllocation.key(),
        ];
        for key in keys {
            let Cell::Text(t) = enum_cell(&key) else { panic!("{key}: not text") };
            let parts: Vec<&str> = t.split('\u{1}').collect();
            assert_eq!(parts.len(), 3, "{key} has no labels");
            assert_eq!(parts[2], key);
            assert!(!parts[0].is_ascii(), "{key}: no Chinese label");
        }
    }
}

#[cfg(test)]
mod chinese {
    use crate::render::{Lang, localized};

    use super::*;

    /// Every trace formula and violation text of the demo reads in Chinese
    /// in Chinese tables and in English in English tables and CSV.
    #[test]
    fn every_trace_formula_and_violation_text_of_the_demo_is_chinese_in_chinese_tables() {
        let scenario = crate::parse_scenario(crate::DEMO, crate::ScenarioFormat::Toml, "demo").unwrap();
        let report = crate::run_scenario(&scenario, "demo", true).unwrap();
        let tables = tables(&report);
        let column = |table: &Table, key: &str| table.columns.iter().position(|c| c.key == key).unwrap();
        let has_chinese = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let mut checked = 0;
        for (name, key) in [("trace", "formula"), ("surplus_violations", "detail")] {
            let table = tables.iter().find(|t| t.name == name).unwrap();
            let at = column(table, key);
            for row in &table.rows {
                let Cell::Text(cell) = &row[at] else { panic!("{name}.{key}: not text") };
                let (zh, en) = (localized(cell, Lang::Zh), localized(cell, Lang::En));
                assert!(has_chinese(&zh), "{name}.{key} has no Chinese text: {en}");
                assert_ne!(zh, en);
                assert_eq!(crate::render::csv_cells(std::slice::from_ref(&row[at]))[0], en);
                checked += 1;
            }
        }
        assert!(checked > 50, "{checked}");
    }
}
