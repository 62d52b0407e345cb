//! Budgets in the store: each agent's own budget (as its fleet file says), the level
//! each budget's scope was last announced at, and the agents a spent budget paused.
//! The fleet's own budget lives with the fleet settings.

use super::{Store, StoreError};
use crate::fleet::{Budget, BudgetLevel};
use rusqlite::named_params;
use std::collections::HashMap;

/// An agent paused by a spent budget: the attempt it paused, and the budget's scope
/// (the owner's name; empty for the fleet's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetHold {
    /// The attempt that was paused; a later attempt is not held by it.
    pub attempt: u32,
    /// The budget's scope key.
    pub scope: String,
}

impl Store {
    /// Record an agent's own budget; `None`: it has none (ancestors' and the fleet's
    /// budgets still cover it).
    pub fn set_agent_budget(&self, name: &str, budget: Option<&Budget>) -> Result<(), StoreError> {
        let json = budget.map(|b| serde_json::to_string(b).expect("budgets serialize"));
        self.conn
            .execute(
                "UPDATE agents SET budget = :budget WHERE name = :name",
                named_params! {":budget": json, ":name": name},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// Every agent's own budget, by name.
    pub fn agent_budgets(&self) -> Result<HashMap<String, Budget>, StoreError> {
        let rows: Vec<(String, String)> = self.rows(
            "SELECT name, budget FROM agents WHERE budget IS NOT NULL",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // A budget written by a newer shoal that does not read back is left out.
        Ok(rows
            .into_iter()
            .filter_map(|(n, j)| serde_json::from_str(&j).ok().map(|b| (n, b)))
            .collect())
    }

    /// The level each budget's scope was last announced at.
    pub fn budget_marks(&self) -> Result<HashMap<String, BudgetLevel>, StoreError> {
        let rows: Vec<(String, String)> =
            self.rows("SELECT scope, level FROM budget_marks", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, l)| l.parse().ok().map(|l| (s, l)))
            .collect())
    }

    /// Remember that scope `scope` was announced at `level`.
    pub fn set_budget_mark(
        &self,
        scope: &str,
        level: BudgetLevel,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO budget_marks (scope, level, ts_ms) VALUES (:scope, :level, :now)
                 ON CONFLICT(scope) DO UPDATE SET level = :level, ts_ms = :now",
                named_params! {":scope": scope, ":level": level.as_str(), ":now": now_ms},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// The agents paused by a spent budget, by name.
    pub fn budget_holds(&self) -> Result<HashMap<String, BudgetHold>, StoreError> {
        let rows: Vec<(String, u32, String)> =
            self.rows("SELECT agent, attempt, scope FROM budget_holds", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        Ok(rows
            .into_iter()
            .map(|(a, attempt, scope)| (a, BudgetHold { attempt, scope }))
            .collect())
    }

    /// Record that a spent budget paused `agent`'s attempt `hold.attempt`.
    pub fn set_budget_hold(
        &self,
        agent: &str,
        hold: &BudgetHold,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO budget_holds (agent, attempt, scope, ts_ms) VALUES (:agent, :attempt, :scope, :now)
                 ON CONFLICT(agent) DO UPDATE SET attempt = :attempt, scope = :scope, ts_ms = :now",
                named_params! {":agent": agent, ":attempt": hold.attempt, ":scope": hold.scope, ":now": now_ms},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }

    /// `agent` is no longer held by a budget.
    pub fn clear_budget_hold(&self, agent: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "DELETE FROM budget_holds WHERE agent = :agent",
                named_params! {":agent": agent},
            )
            .map_err(|e| self.classify(e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::{BudgetAction, Usd};
    use crate::store::AgentRecord;

    #[test]
    fn budgets_marks_and_holds_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.sqlite");
        let s = Store::open(&path).unwrap();
        let rec = AgentRecord {
            name: "lead".into(),
            parent: None,
            kind: "shell".into(),
            cmd: "bash".into(),
            cwd: None,
            task: None,
            env: Default::default(),
            stall_timeout_ms: 1000,
            on_idle: None,
            paused: false,
            seq: 0,
            created_ms: 0,
        };
        s.upsert_agent(&rec).unwrap();
        let b = Budget {
            limit: Usd(10_000),
            action: BudgetAction::Cancel,
        };
        s.set_agent_budget("lead", Some(&b)).unwrap();
        s.set_budget_mark("", BudgetLevel::Warned, 5).unwrap();
        s.set_budget_mark("lead", BudgetLevel::Warned, 5).unwrap();
        s.set_budget_mark("lead", BudgetLevel::Exhausted, 6)
            .unwrap();
        let hold = BudgetHold {
            attempt: 2,
            scope: "lead".into(),
        };
        s.set_budget_hold("lead", &hold, 6).unwrap();
        drop(s);
        // A new process reads back what the last one wrote.
        let s = Store::open(&path).unwrap();
        assert_eq!(s.agent_budgets().unwrap().get("lead"), Some(&b));
        let marks = s.budget_marks().unwrap();
        assert_eq!(marks.get(""), Some(&BudgetLevel::Warned));
        assert_eq!(marks.get("lead"), Some(&BudgetLevel::Exhausted));
        assert_eq!(s.budget_holds().unwrap().get("lead"), Some(&hold));
        s.clear_budget_hold("lead").unwrap();
        assert!(s.budget_holds().unwrap().is_empty());
        s.set_agent_budget("lead", None).unwrap();
        assert!(s.agent_budgets().unwrap().is_empty());
    }
}
