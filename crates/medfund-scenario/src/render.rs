//! Reports for people (`table`, `markdown`) and spreadsheets (`csv`), built
//! from one typed table model; `json` is serialised directly (the contract).

use std::borrow::Cow;
use std::fmt::Write as _;

use medfund_core::{Money, Step};
use unicode_width::UnicodeWidthStr;

use crate::compute::{Report, RiskpoolReport, SupplementaryReport, SurplusReport};
use crate::error::{ScenarioError, ScenarioResult};
use medfund_insurer::AssistanceSettlement;

/// Label language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Lang {
    /// Chinese (default).
    #[default]
    Zh,
    /// English.
    En,
}

/// A typed cell, formatted per output.
#[derive(Debug, Clone)]
pub enum Cell {
    /// Text.
    Text(String),
    /// Money; `None` is unknown (null).
    Money(Option<Money>),
    /// A flag; `None` is unknown.
    Flag(Option<bool>),
    /// An integer.
    Int(i64),
}

/// A column: its machine key (CSV header) and its Chinese and English labels.
#[derive(Debug, Clone)]
pub struct Column {
    /// Machine key.
    pub key: Cow<'static, str>,
    /// Chinese label.
    pub zh: Cow<'static, str>,
    /// English label.
    pub en: Cow<'static, str>,
}

impl Column {
    /// A column whose key serves as both labels (dynamic tables).
    pub fn plain(key: impl Into<String>) -> Column {
        let key: String = key.into();
        Column { key: Cow::Owned(key.clone()), zh: Cow::Owned(key.clone()), en: Cow::Owned(key) }
    }

    fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Static columns from (key, zh, en) triples.
pub fn columns<const N: usize>(triples: [(&'static str, &'static str, &'static str); N]) -> Vec<Column> {
    triples
        .into_iter()
        .map(|(key, zh, en)| Column { key: Cow::Borrowed(key), zh: Cow::Borrowed(zh), en: Cow::Borrowed(en) })
        .collect()
}

/// A table: a machine name, a title, columns and rows.
#[derive(Debug, Clone)]
pub struct Table {
    /// File-like name (`riskpool_employee_units`).
    pub name: String,
    /// Title in both languages.
    pub title: (String, String),
    /// The columns.
    pub columns: Vec<Column>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

fn money(m: Money) -> Cell {
    Cell::Money(Some(m))
}

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn kv_table(
    name: String,
    title: (String, String),
    rows: Vec<(&'static str, &'static str, &'static str, Cell)>,
) -> Table {
    Table {
        name,
        title,
        columns: columns([("item", "项目", "item"), ("value", "数值", "value")]),
        rows: rows
            .into_iter()
            .map(|(key, zh, en, v)| vec![Cell::Text(format!("{zh}\u{1}{en}\u{1}{key}")), v])
            .collect(),
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
                    text(name(&p.flow)),
                    text(name(&p.kind)),
                    text(p.county.clone()),
                    Cell::Int(i64::from(p.service_year)),
                    money(p.amount),
                    text(name(&p.payer)),
                    text(name(&p.payee)),
                ]
            })
            .collect(),
    });
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
    out.push(Table {
        name: "supplementary_claims".into(),
        title: ("逐笔理赔分担".into(), "Claims".into()),
        columns: columns([
            ("person", "参保人", "person"),
            ("date", "日期", "date"),
            ("medical_year", "医保年度", "medical year"),
            ("fund", "统筹基金", "fund"),
            ("insurer", "保险公司", "insurer"),
            ("person_pays", "个人自付", "person pays"),
        ]),
        rows: s
            .claims
            .iter()
            .map(|c| {
                vec![
                    text(c.person.clone()),
                    text(c.date.to_string()),
                    Cell::Int(i64::from(c.split.medical_year)),
                    money(c.split.fund),
                    money(c.split.insurer),
                    money(c.split.person_pays),
                ]
            })
            .collect(),
    });
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
                .map(|v| vec![text(v.institution.clone()), text(erased::Named::key(&v.rule)), text(v.detail.clone())])
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
                    text(s.formula.clone()),
                    text(inputs),
                    text(s.result.clone()),
                ]
            })
            .collect(),
    }
}

/// How a cell reads in a human report.
fn human(cell: &Cell, lang: Lang) -> String {
    match cell {
        Cell::Text(s) => pick(s, lang),
        Cell::Money(Some(m)) => m.to_grouped_string(),
        Cell::Money(None) | Cell::Flag(None) => "—".into(),
        Cell::Flag(Some(b)) => match (lang, b) {
            (Lang::Zh, true) => "是".into(),
            (Lang::Zh, false) => "否".into(),
            (Lang::En, true) => "yes".into(),
            (Lang::En, false) => "no".into(),
        },
        Cell::Int(i) => i.to_string(),
    }
}

/// Key-value labels carry both languages separated by \u{1}; an earmark row carries "name\u{2}amount".
fn pick(s: &str, lang: Lang) -> String {
    let mut parts = s.split('\u{1}');
    if let (Some(zh), Some(en), Some(_key)) = (parts.next(), parts.next(), parts.next()) {
        return match lang {
            Lang::Zh => zh.to_owned(),
            Lang::En => en.to_owned(),
        };
    }
    if let Some((name, amount)) = s.split_once('\u{2}') {
        let grouped = amount.parse::<Money>().map_or_else(|_| amount.to_owned(), Money::to_grouped_string);
        return format!("{name}: {grouped}");
    }
    s.to_owned()
}

/// Columns of the terminal report are aligned up to this width; a wider cell
/// overflows its column instead of widening every row (a 1 MB name once
/// padded 5,000 rows to 1 MB each).
const MAX_ALIGN_WIDTH: usize = 60;
/// The widest cell shown, in columns; longer text is cut with `…`.
const MAX_CELL_WIDTH: usize = 240;

/// Text for a terminal: control characters (ESC, CR, LF, …) shown escaped,
/// never sent raw, and cut at [`MAX_CELL_WIDTH`] columns with `…`.
fn terminal_text(s: &str) -> String {
    let mut out = String::new();
    let mut width = 0_usize;
    for c in s.chars() {
        let shown: String = if c.is_control() { c.escape_default().collect() } else { c.to_string() };
        let w = shown.width();
        if width.saturating_add(w) > MAX_CELL_WIDTH.saturating_sub(1) {
            out.push('…');
            return out;
        }
        width = width.saturating_add(w);
        out.push_str(&shown);
    }
    out
}

fn is_numeric(cell: &Cell) -> bool {
    matches!(cell, Cell::Money(_) | Cell::Int(_))
}

/// The aligned terminal report.
pub fn render_table(tables: &[Table], lang: Lang) -> String {
    let mut out = String::new();
    for t in tables {
        let title = match lang {
            Lang::Zh => &t.title.0,
            Lang::En => &t.title.1,
        };
        let headers: Vec<String> = t.columns.iter().map(|c| terminal_text(c.label(lang))).collect();
        let cells: Vec<Vec<String>> =
            t.rows.iter().map(|r| r.iter().map(|c| terminal_text(&human(c, lang))).collect()).collect();
        let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.width().min(MAX_ALIGN_WIDTH));
            }
        }
        let _ = writeln!(
            out,
            "{}",
            title
                .chars()
                .map(|c| if c.is_control() { c.escape_default().collect() } else { c.to_string() })
                .collect::<String>()
        );
        let pad = |s: &str, w: usize, right: bool| {
            let fill = " ".repeat(w.saturating_sub(s.width()));
            if right { format!("{fill}{s}") } else { format!("{s}{fill}") }
        };
        let numeric: Vec<bool> =
            (0..headers.len()).map(|i| t.rows.iter().any(|r| r.get(i).is_some_and(is_numeric))).collect();
        let line: Vec<String> = headers.iter().zip(&widths).zip(&numeric).map(|((h, &w), &n)| pad(h, w, n)).collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
        let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
        let _ = writeln!(out, "  {}", rule.join("  "));
        for (row, raw) in cells.iter().zip(&t.rows) {
            let line: Vec<String> =
                row.iter().zip(&widths).zip(raw).map(|((c, &w), cell)| pad(c, w, is_numeric(cell))).collect();
            let _ = writeln!(out, "  {}", line.join("  ").trim_end());
        }
        out.push('\n');
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Markdown tables for pasting into reports.
pub fn render_markdown(tables: &[Table], lang: Lang) -> String {
    let mut out = String::new();
    for t in tables {
        let title = match lang {
            Lang::Zh => &t.title.0,
            Lang::En => &t.title.1,
        };
        let _ = writeln!(out, "### {}\n", md_escape(title));
        let headers: Vec<String> = t.columns.iter().map(|c| md_escape(c.label(lang))).collect();
        let _ = writeln!(out, "| {} |", headers.join(" | "));
        let numeric: Vec<bool> =
            (0..headers.len()).map(|i| t.rows.iter().any(|r| r.get(i).is_some_and(is_numeric))).collect();
        let align: Vec<&str> = numeric.iter().map(|&n| if n { "---:" } else { "---" }).collect();
        let _ = writeln!(out, "| {} |", align.join(" | "));
        for row in &t.rows {
            let cells: Vec<String> = row.iter().map(|c| md_escape(&human(c, lang))).collect();
            let _ = writeln!(out, "| {} |", cells.join(" | "));
        }
        out.push('\n');
    }
    out
}

/// A text cell for a spreadsheet: one that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return and is not a number would be run as a formula
/// (`=1+2`, `=HYPERLINK(…)`); a leading `'` makes it text again.
fn spreadsheet_safe(s: String) -> String {
    let risky = s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && medfund_core::literal::parse_decimal_text(&s).is_err() { format!("'{s}") } else { s }
}

fn csv_cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => spreadsheet_safe(if let Some(key) = s.split('\u{1}').nth(2) {
            key.to_owned()
        } else if let Some((name, amount)) = s.split_once('\u{2}') {
            format!("{name}={amount}")
        } else {
            s.clone()
        }),
        Cell::Money(Some(m)) => m.to_string(),
        Cell::Money(None) | Cell::Flag(None) => String::new(),
        Cell::Flag(Some(b)) => b.to_string(),
        Cell::Int(i) => i.to_string(),
    }
}

/// One CSV record (a header of names, or a row of cells), with its line end:
/// for writers that stream rows as they come.
pub fn csv_record<I, T>(fields: I) -> ScenarioResult<Vec<u8>>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).map_err(|e| ScenarioError::other(format!("cannot write CSV: {e}")))?;
    w.into_inner().map_err(|e| ScenarioError::other(format!("cannot write CSV: {e}")))
}

/// The CSV text of each cell of a row.
pub fn csv_cells(row: &[Cell]) -> Vec<String> {
    row.iter().map(csv_cell).collect()
}

fn csv_bytes(t: &Table) -> ScenarioResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ScenarioError::other(format!("cannot write CSV: {e}"));
    w.write_record(t.columns.iter().map(|c| c.key.as_bytes())).map_err(fail)?;
    for row in &t.rows {
        w.write_record(row.iter().map(csv_cell)).map_err(fail)?;
    }
    w.into_inner().map_err(|e| ScenarioError::other(format!("cannot write CSV: {e}")))
}

/// All tables as CSV on one stream: each preceded by `# name`, separated by a blank line.
pub fn render_csv(tables: &[Table]) -> ScenarioResult<Vec<u8>> {
    let mut out = Vec::new();
    for (i, t) in tables.iter().enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(format!("# {}\n", t.name).as_bytes());
        out.extend(csv_bytes(t)?);
    }
    Ok(out)
}

/// Writes one `name.csv` per table into `dir`; returns the paths written.
pub fn write_csv_dir(tables: &[Table], dir: &std::path::Path) -> ScenarioResult<Vec<std::path::PathBuf>> {
    if dir.exists() && !dir.is_dir() {
        return Err(ScenarioError::input(format!(
            "--out {}: a file of that name exists; expected a directory (new or existing) for the CSV files",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| ScenarioError::other(format!("{}: cannot create the directory: {e}", dir.display())))?;
    let mut written = Vec::with_capacity(tables.len());
    for t in tables {
        let path = dir.join(format!("{}.csv", t.name));
        std::fs::write(&path, csv_bytes(t)?)
            .map_err(|e| ScenarioError::other(format!("{}: cannot write: {e}", path.display())))?;
        written.push(path);
    }
    Ok(written)
}
