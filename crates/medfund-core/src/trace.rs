//! The audit trail: every figure traceable to a document and an article.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// A rule's source: document number and article, e.g.
/// `阿署办发〔2020〕30号` and `第十五条`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Citation {
    /// The document number (文号) or title.
    pub document: Cow<'static, str>,
    /// The article, clause or section (第十五条, 三（四）2, §6.4).
    pub article: Cow<'static, str>,
}

impl Citation {
    /// A citation of static text, usable in `const` items.
    pub const fn new(document: &'static str, article: &'static str) -> Citation {
        Citation { document: Cow::Borrowed(document), article: Cow::Borrowed(article) }
    }
}

impl core::fmt::Display for Citation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} {}", self.document, self.article)
    }
}

/// One named input of a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Input {
    /// The input's name (`"revenue_base"`).
    pub name: String,
    /// Its value as text (`"30000000.00"`, `"10%"`).
    pub value: String,
}

/// One step of a computation: which figure, by which rule, from what, how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Step {
    /// The figure produced, as a JSON Pointer into the JSON report
    /// (`/riskpool/schemes/employee/levy`).
    pub figure: String,
    /// The rule applied.
    pub rule: Citation,
    /// The inputs used.
    pub inputs: Vec<Input>,
    /// The formula, in words.
    // A `Cow`: a literal is not copied into each of a million steps.
    pub formula: Cow<'static, str>,
    /// The formula in Chinese, for Chinese tables (empty: not given). Not
    /// part of the JSON trace, whose texts are English like its keys.
    #[serde(skip)]
    #[cfg_attr(feature = "schemars", schemars(skip))]
    pub formula_zh: Cow<'static, str>,
    /// The result as text.
    pub result: String,
}

impl Step {
    /// A step for `figure` under `rule`, computed by `formula`.
    pub fn new(figure: impl Into<String>, rule: Citation, formula: impl Into<Cow<'static, str>>) -> Step {
        Step {
            figure: figure.into(),
            rule,
            inputs: Vec::new(),
            formula: formula.into(),
            formula_zh: Cow::Borrowed(""),
            result: String::new(),
        }
    }

    /// Sets the formula in Chinese.
    #[must_use]
    pub fn zh(mut self, formula: impl Into<Cow<'static, str>>) -> Step {
        self.formula_zh = formula.into();
        self
    }

    /// Adds an input.
    #[must_use]
    pub fn input(mut self, name: impl Into<String>, value: impl ToString) -> Step {
        self.inputs.push(Input { name: name.into(), value: value.to_string() });
        self
    }

    /// Sets the result.
    #[must_use]
    pub fn result(mut self, value: impl ToString) -> Step {
        self.result = value.to_string();
        self
    }
}

/// An audit trail that is either recording or off.
///
/// When off, [`Trace::record`] does not call its closure, so building a step
/// (and its allocations) costs nothing on the hot path.
///
/// ```
/// use medfund_core::{Citation, Step, Trace};
/// const ART15: Citation = Citation::new("阿署办发〔2020〕30号", "第十五条");
///
/// let mut off = Trace::off();
/// off.record(|| unreachable!("never built when tracing is off"));
/// assert!(off.steps().is_empty());
///
/// let mut on = Trace::on();
/// on.record(|| Step::new("/riskpool/schemes/employee/levy", ART15, "10% × revenue").input("revenue", "100.00").result("10.00"));
/// assert_eq!(on.steps()[0].rule.article, "第十五条");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Trace {
    steps: Option<Vec<Step>>,
}

impl Trace {
    /// A trace that records nothing.
    pub const fn off() -> Trace {
        Trace { steps: None }
    }

    /// A trace that records every step.
    pub fn on() -> Trace {
        Trace { steps: Some(Vec::new()) }
    }

    /// A trace that records if `enabled`.
    pub fn new(enabled: bool) -> Trace {
        if enabled { Trace::on() } else { Trace::off() }
    }

    /// True if steps are recorded.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.steps.is_some()
    }

    /// Records the step built by `build`, only if recording.
    #[inline]
    pub fn record<F: FnOnce() -> Step>(&mut self, build: F) {
        if let Some(steps) = self.steps.as_mut() {
            steps.push(build());
        }
    }

    /// The recorded steps (empty when off).
    pub fn steps(&self) -> &[Step] {
        self.steps.as_deref().unwrap_or(&[])
    }

    /// Moves out the recorded steps.
    pub fn into_steps(self) -> Vec<Step> {
        self.steps.unwrap_or_default()
    }

    /// Appends another trace's steps (if recording).
    pub fn extend(&mut self, other: Trace) {
        if let (Some(steps), Some(more)) = (self.steps.as_mut(), other.steps) {
            steps.extend(more);
        }
    }
}
