//! The preset registry: every built-in policy of every section, with its
//! region, document (文号) and validity, in one place. Each section resolves
//! its `preset = "…"` here, and `medfund policies` lists it.

use medfund_contrib::{EmployeePolicy, FinancingTable};
use medfund_core::{NaiveDate, PolicyVersion};
use medfund_insurer::{AssistancePolicy, SupplementaryPolicy};
use medfund_riskpool::RiskPoolPolicy;
use medfund_surplus::SurplusPolicy;
use serde::Serialize;

use crate::error::{ScenarioError, ScenarioResult, excerpt};
use crate::render::{Cell, Table, columns};

/// One built-in policy, as `medfund policies` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct PresetInfo {
    /// The preset id (`alxa-2020`).
    pub id: String,
    /// The scenario section it serves (`riskpool`, `assistance`, `supplementary`, `surplus`).
    pub section: &'static str,
    /// Where it applies.
    pub region: &'static str,
    /// Its title.
    pub title: String,
    /// The source document (文号).
    pub document: String,
    /// First day in force (`null`: an undated template, no start).
    pub valid_from: Option<NaiveDate>,
    /// Last day in force (`null`: no end).
    pub valid_to: Option<NaiveDate>,
}

/// Every preset, each section's versions in the order of their validity.
pub(crate) struct Registry {
    riskpool: Vec<PolicyVersion<RiskPoolPolicy>>,
    assistance: Vec<PolicyVersion<AssistancePolicy>>,
    supplementary: Vec<PolicyVersion<SupplementaryPolicy>>,
    subsidies: Vec<PolicyVersion<medfund_insurer::SubsidyPolicy>>,
    surplus: Vec<PolicyVersion<SurplusPolicy>>,
    contributions: Vec<PolicyVersion<EmployeePolicy>>,
    residents: Vec<PolicyVersion<FinancingTable>>,
}

/// Where each preset applies: not part of a policy version, known here (a
/// preset shipped without an entry shows `—`, and a test lists them all).
fn region(id: &str) -> &'static str {
    match id {
        medfund_riskpool::ALXA_2020 => "阿拉善盟 Alxa League",
        medfund_insurer::HUIZHOU_2021 => "惠州市 Huizhou",
        medfund_insurer::XIAMEN_2007 | medfund_insurer::XIAMEN_2007_SUBSIDIES => "厦门市 Xiamen",
        medfund_surplus::FRAMEWORK_2025 => "通用 generic",
        medfund_contrib::CITY_TEMPLATE_EMPLOYEES | medfund_contrib::COUNTY_TEMPLATE_FINANCING => {
            "通用模板 generic template"
        }
        medfund_contrib::QINGDAO_2012 => "青岛市 Qingdao",
        _ => "—",
    }
}

fn built_in(e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::other(format!("a built-in preset is invalid: {e}"))
}

/// The version `id` of a section, or the section's first preset without an id.
fn pick<P: Clone>(section: &str, versions: &[PolicyVersion<P>], id: Option<&str>) -> ScenarioResult<PolicyVersion<P>> {
    let found = match id {
        Some(id) => versions.iter().find(|v| v.id() == id),
        None => versions.first(),
    };
    found.cloned().ok_or_else(|| {
        let known: Vec<&str> = versions.iter().map(PolicyVersion::id).collect();
        ScenarioError::input(format!(
            "{section}.preset: unknown preset {}; expected one of {}",
            excerpt(id.unwrap_or_default()),
            known.join(", ")
        ))
    })
}

impl Registry {
    /// The shipped presets of every section.
    pub(crate) fn built_in() -> ScenarioResult<Registry> {
        Ok(Registry {
            riskpool: medfund_riskpool::presets().map_err(built_in)?,
            assistance: vec![medfund_insurer::huizhou_2021().map_err(built_in)?],
            supplementary: vec![medfund_insurer::xiamen_2007().map_err(built_in)?],
            subsidies: vec![medfund_insurer::xiamen_2007_subsidies().map_err(built_in)?],
            surplus: vec![medfund_surplus::framework_2025().map_err(built_in)?],
            contributions: vec![medfund_contrib::city_template_employees().map_err(built_in)?],
            residents: vec![
                medfund_contrib::county_template_financing().map_err(built_in)?,
                medfund_contrib::qingdao_2012().map_err(built_in)?,
            ],
        })
    }

    /// The `[riskpool]` preset `id` (default: the first).
    pub(crate) fn riskpool(&self, id: Option<&str>) -> ScenarioResult<PolicyVersion<RiskPoolPolicy>> {
        pick("riskpool", &self.riskpool, id)
    }

    /// The `[assistance]` preset `id` (default: the first).
    pub(crate) fn assistance(&self, id: Option<&str>) -> ScenarioResult<PolicyVersion<AssistancePolicy>> {
        pick("assistance", &self.assistance, id)
    }

    /// The `[supplementary]` preset `id` (default: the first).
    pub(crate) fn supplementary(&self, id: Option<&str>) -> ScenarioResult<PolicyVersion<SupplementaryPolicy>> {
        pick("supplementary", &self.supplementary, id)
    }

    /// The `[supplementary.subsidies]` preset `id` (default: the first).
    pub(crate) fn subsidies(&self, id: Option<&str>) -> ScenarioResult<PolicyVersion<medfund_insurer::SubsidyPolicy>> {
        pick("supplementary.subsidies", &self.subsidies, id)
    }

    /// The `[surplus]` preset `id` (default: the first).
    pub(crate) fn surplus(&self, id: Option<&str>) -> ScenarioResult<PolicyVersion<SurplusPolicy>> {
        pick("surplus", &self.surplus, id)
    }

    /// The `[contributions]` preset `id` (default: the first).
    pub(crate) fn contributions(&self, id: Option<&str>) -> ScenarioResult<PolicyVersion<EmployeePolicy>> {
        pick("contributions", &self.contributions, id)
    }

    /// The `[contributions.residents]` preset `id` (default: the first).
    pub(crate) fn residents(&self, id: Option<&str>) -> ScenarioResult<PolicyVersion<FinancingTable>> {
        pick("contributions.residents", &self.residents, id)
    }

    /// Every preset, section by section.
    pub(crate) fn list(&self) -> Vec<PresetInfo> {
        fn info<P>(section: &'static str, v: &PolicyVersion<P>) -> PresetInfo {
            PresetInfo {
                id: v.id().into(),
                section,
                region: region(v.id()),
                title: v.title().into(),
                document: v.document().into(),
                valid_from: Some(v.validity().from()).filter(|d| *d != NaiveDate::MIN),
                valid_to: v.validity().to(),
            }
        }
        let mut out = Vec::new();
        out.extend(self.riskpool.iter().map(|v| info("riskpool", v)));
        out.extend(self.assistance.iter().map(|v| info("assistance", v)));
        out.extend(self.supplementary.iter().map(|v| info("supplementary", v)));
        out.extend(self.subsidies.iter().map(|v| info("supplementary.subsidies", v)));
        out.extend(self.surplus.iter().map(|v| info("surplus", v)));
        out.extend(self.contributions.iter().map(|v| info("contributions", v)));
        out.extend(self.residents.iter().map(|v| info("contributions.residents", v)));
        out
    }
}

/// The registry as a table, for the renderers.
pub(crate) fn presets_table(presets: &[PresetInfo]) -> Table {
    Table {
        name: "policies".into(),
        title: ("内置政策".into(), "Built-in policy presets".into()),
        columns: columns([
            ("id", "编号", "id"),
            ("section", "模块", "section"),
            ("region", "地区", "region"),
            ("title", "名称", "title"),
            ("document", "文号", "document"),
            ("valid_from", "生效", "valid from"),
            ("valid_to", "失效", "valid to"),
        ]),
        rows: presets
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(p.id.clone()),
                    Cell::Text(p.section.into()),
                    Cell::Text(p.region.into()),
                    Cell::Text(p.title.clone()),
                    Cell::Text(p.document.clone()),
                    Cell::Text(p.valid_from.map_or_else(|| "—".into(), |d| d.to_string())),
                    Cell::Text(p.valid_to.map_or_else(|| "—".into(), |d| d.to_string())),
                ]
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_has_a_region_and_resolves_by_id() {
        let registry = Registry::built_in().unwrap();
        let list = registry.list();
        assert_eq!(list.len(), 8);
        for p in &list {
            assert_ne!(p.region, "—", "{} has no region", p.id);
            let id = Some(p.id.as_str());
            let found = match p.section {
                "riskpool" => registry.riskpool(id).map(|v| v.id().to_owned()),
                "assistance" => registry.assistance(id).map(|v| v.id().to_owned()),
                "supplementary" => registry.supplementary(id).map(|v| v.id().to_owned()),
                "supplementary.subsidies" => registry.subsidies(id).map(|v| v.id().to_owned()),
                "contributions" => registry.contributions(id).map(|v| v.id().to_owned()),
                "contributions.residents" => registry.residents(id).map(|v| v.id().to_owned()),
                _ => registry.surplus(id).map(|v| v.id().to_owned()),
            };
            assert_eq!(found.unwrap(), p.id);
        }
        let err = registry.riskpool(Some("nope")).unwrap_err();
        assert_eq!(err.path.as_deref(), Some("riskpool.preset"));
        assert_eq!(err.expected.as_deref(), Some("one of alxa-2020"));
        assert!(err.to_string().contains("riskpool.preset: unknown preset \"nope\"; expected one of alxa-2020"));
    }
}
