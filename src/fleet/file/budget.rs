//! The budget keys of the fleet file (`budget`, `budget_action`, in `[fleet]` and on an
//! agent), checked with the same located errors as the rest of it.

use super::{FleetFileError, Locator};
use crate::fleet::budget::USD_HINT;
use crate::fleet::{Budget, BudgetAction, Usd};
use toml::Spanned;

/// What to write instead of a bad action.
const ACTION_HINT: &str = "budget_action = \"warn\" only tells you, \"pause\" (the default) interrupts and holds the subtree until `shoal resume`, \"cancel\" cancels it";

impl Locator<'_> {
    /// A dollar amount: `"$5"`, `"0.50"`, or a bare number. `who` prefixes messages
    /// (`agent "w1": `) and is empty for `[fleet]`.
    pub(super) fn budget(
        &self,
        v: &Spanned<toml::Value>,
        who: &str,
    ) -> Result<Usd, FleetFileError> {
        let parsed = match v.get_ref() {
            toml::Value::String(s) => Usd::parse(s),
            toml::Value::Integer(n) => Usd::parse(&n.to_string()),
            toml::Value::Float(x) => Usd::parse(&x.to_string()),
            other => Err(format!("{other} is not a dollar amount")),
        };
        parsed.map_err(|e| self.at(v.span(), format!("{who}budget {e}"), USD_HINT))
    }

    /// `warn`, `pause` or `cancel`, with the near word for a typo.
    pub(super) fn budget_action(
        &self,
        v: &Spanned<String>,
        who: &str,
    ) -> Result<BudgetAction, FleetFileError> {
        v.get_ref()
            .parse()
            .map_err(|e| self.at(v.span(), format!("{who}budget_action: {e}"), ACTION_HINT))
    }

    /// An agent's budget: its own amount, with its own action or else the fleet's. An
    /// action without an amount has nothing to act on.
    pub(super) fn agent_budget(
        &self,
        amount: Option<&Spanned<toml::Value>>,
        action: Option<&Spanned<String>>,
        fleet_action: BudgetAction,
        name: &str,
    ) -> Result<Option<Budget>, FleetFileError> {
        let who = format!("agent {name:?}: ");
        let action = match action {
            Some(a) => Some((a, self.budget_action(a, &who)?)),
            None => None,
        };
        match (amount, action) {
            (Some(v), a) => Ok(Some(Budget {
                limit: self.budget(v, &who)?,
                action: a.map_or(fleet_action, |(_, a)| a),
            })),
            (None, Some((a, _))) => Err(self.at(
                a.span(),
                format!("{who}budget_action without a budget acts on nothing"),
                "add budget = \"$5\" to this agent, or remove budget_action",
            )),
            (None, None) => Ok(None),
        }
    }
}
