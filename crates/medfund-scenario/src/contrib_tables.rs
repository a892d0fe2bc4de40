//! The tables of a `[contributions]` report (§10), for the renderers.

use medfund_contrib::Level;

use crate::render::{Cell, Column, Table, columns};
use crate::report::ContributionsReport;
use crate::report_tables::{kv_table, label, money, text};
use crate::scenario::RetireeAccountsFrom;

/// A whole number of persons or days as a cell.
fn count(n: impl TryInto<i64>) -> Cell {
    Cell::Int(n.try_into().ok().expect("invariant: counts of rows and persons fit an i64"))
}

/// The funds, then employees (totals and rows), residents and late fees.
pub(crate) fn contributions_tables(c: &ContributionsReport, out: &mut Vec<Table>) {
    // The reading in the title: a text row would turn the money column to text.
    let (from_zh, from_en) = match c.funds.retiree_accounts_from {
        RetireeAccountsFrom::EmployeePooling => {
            ("退休人员个人账户由职工统筹基金划入", "retirees' credits from the employee pooling fund")
        }
        _ => ("退休人员个人账户资金来自养老金", "retirees' credits from the pension"),
    };
    out.push(kv_table(
        "contributions_funds".into(),
        (format!("筹资 · 各基金收入 · {from_zh}"), format!("Contributions · by fund · {from_en}")),
        vec![
            (
                "employee_pooling",
                "职工统筹基金（含滞纳金）",
                "employee pooling fund (with late fees)",
                money(c.funds.employee_pooling),
            ),
            ("employee_accounts", "职工个人账户", "employee individual accounts", money(c.funds.employee_accounts)),
            ("resident_pooling", "居民统筹基金", "resident pooling fund", money(c.funds.resident_pooling)),
            (
                "retiree_account_credits",
                "退休人员个人账户划入",
                "retirees' account credits",
                money(c.funds.retiree_account_credits),
            ),
        ],
    ));
    if !c.units.is_empty() {
        out.push(Table {
            name: "contributions_units".into(),
            title: ("筹资 · 分统筹单位".into(), "Contributions · by unit".into()),
            columns: columns([
                ("unit", "统筹单位", "unit"),
                ("employees", "职工人数", "employees"),
                ("residents", "居民人数", "residents"),
                ("arrears", "欠缴笔数", "arrears"),
                ("employee_pooling", "职工统筹基金", "employee pooling"),
                ("employee_accounts", "职工个人账户", "employee accounts"),
                ("resident_pooling", "居民统筹基金", "resident pooling"),
            ]),
            rows: c
                .units
                .iter()
                .map(|u| {
                    vec![
                        text(u.unit.clone()),
                        count(u.employees),
                        count(u.residents),
                        count(u.arrears),
                        money(u.employee_pooling),
                        money(u.employee_accounts),
                        money(u.resident_pooling),
                    ]
                })
                .collect(),
        });
    }
    if let Some(e) = &c.employees {
        let t = &e.totals;
        out.push(kv_table(
            "contributions_employees".into(),
            (
                format!("职工缴费 · {} 年 · {}", e.year, e.policy),
                format!("Employee contributions · {} · {}", e.year, e.policy),
            ),
            vec![
                ("average_wage", "上年度社会平均工资", "average wage W", money(e.average_wage)),
                ("employees", "人数", "employees", count(e.rows.len())),
                ("base", "缴费基数合计", "contribution bases", money(t.base)),
                ("personal", "个人缴费", "personal", money(t.personal)),
                ("employer", "单位缴费", "employer", money(t.employer)),
                ("to_account", "划入个人账户", "to individual accounts", money(t.to_account)),
                ("to_pool", "划入统筹基金", "to the pooling fund", money(t.to_pool)),
            ],
        ));
        out.push(Table {
            name: "contributions_employee_rows".into(),
            title: ("逐人缴费".into(), "Per employee".into()),
            columns: columns([
                ("id", "人员", "employee"),
                ("base", "缴费基数", "base"),
                ("personal", "个人缴费", "personal"),
                ("employer", "单位缴费", "employer"),
                ("to_account", "个人账户", "account"),
                ("to_pool", "统筹基金", "pool"),
            ]),
            rows: e
                .rows
                .iter()
                .map(|r| {
                    let c = &r.contribution;
                    vec![
                        text(r.id.clone()),
                        money(c.base),
                        money(c.personal),
                        money(c.employer),
                        money(c.to_account),
                        money(c.to_pool),
                    ]
                })
                .collect(),
        });
    }
    if let Some(r) = &c.residents {
        // One column per level that pays anything, in level order.
        let levels: Vec<Level> = r.totals.by_level.iter().map(|s| s.level).collect();
        let mut cols = columns([
            ("category", "人员类别", "category"),
            ("persons", "人数", "persons"),
            ("total", "筹资总额", "total"),
            ("paid_by_persons", "个人缴纳", "paid by persons"),
        ]);
        cols.extend(levels.iter().map(|l| Column { key: l.key().into(), zh: l.name_zh().into(), en: l.key().into() }));
        let mut rows: Vec<Vec<Cell>> = r
            .totals
            .categories
            .iter()
            .map(|k| {
                let mut row =
                    vec![text(k.category.clone()), count(k.persons), money(k.total), money(k.paid_by_persons)];
                row.extend(levels.iter().map(|l| {
                    money(k.by_level.iter().find(|s| s.level == *l).map_or(medfund_core::Money::ZERO, |s| s.amount))
                }));
                row
            })
            .collect();
        let persons = r.totals.categories.iter().map(|k| k.persons).try_fold(0_u64, u64::checked_add);
        let mut total = vec![
            label("total", "合计", "total"),
            persons.map_or_else(|| text("—"), count),
            money(r.totals.total),
            money(r.totals.paid_by_persons),
        ];
        total.extend(r.totals.by_level.iter().map(|s| money(s.amount)));
        rows.push(total);
        out.push(Table {
            name: "contributions_residents".into(),
            title: (format!("居民筹资 · {}", r.policy), format!("Resident financing · {}", r.policy)),
            columns: cols,
            rows,
        });
    }
    if let Some(l) = &c.late_fees {
        out.push(Table {
            name: "contributions_late_fees".into(),
            title: (format!("滞纳金 · 截至 {}", l.as_of), format!("Late fees · as of {}", l.as_of)),
            columns: columns([
                ("arrear", "欠缴", "arrear"),
                ("days", "天数", "days"),
                ("fee", "滞纳金", "fee"),
                ("versions", "适用版本", "versions"),
            ]),
            rows: l
                .fees
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let versions: Vec<String> =
                        f.versions.iter().map(|v| format!("{} × {}", v.policy, v.days)).collect();
                    vec![count(i), Cell::Int(f.days), money(f.fee), text(versions.join("; "))]
                })
                .collect(),
        });
    }
}
