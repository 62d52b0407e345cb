//! Restart memory and circuits in the store: read once when the supervisor starts (and
//! again for what other processes changed), written after each tick that changed them,
//! and a circuit closed by `shoal circuit reset` from outside the supervisor.

use super::circuit::Circuit;
use super::core::Supervisor;
use super::restart::RestartState;
use crate::store::{NewEvent, StoreError};
use std::collections::HashMap;

impl Supervisor {
    /// Read restart memory and circuits from the store. The first call takes every row;
    /// later ones (another process wrote) take new agents, policies and circuits the
    /// operator reset, and keep what this supervisor holds in memory.
    pub(crate) fn load_restarts(&mut self) -> Result<(), StoreError> {
        let r = &mut self.restarts;
        r.policies = self.store.agent_restarts()?;
        r.backends = self.store.agent_backends()?;
        let stored = if r.loaded {
            HashMap::new()
        } else {
            self.store.restart_states()?
        };
        for agent in &self.agents {
            let name = agent.name();
            if r.states.contains_key(name) {
                continue;
            }
            let st = match stored.get(name).and_then(|j| serde_json::from_str(j).ok()) {
                Some(st) => st,
                // An attempt that ended while nobody watched is not judged after the
                // fact: it stays as it is.
                None => RestartState {
                    judged: if agent.is_live() {
                        agent.att.attempt.saturating_sub(1)
                    } else {
                        agent.att.attempt
                    },
                    ..RestartState::default()
                },
            };
            r.states.insert(name.to_string(), st);
        }
        for (kind, body) in self.store.circuits()? {
            if r.dirty_circuits.contains(&kind) {
                continue;
            }
            if let Ok(c) = serde_json::from_str::<Circuit>(&body) {
                r.circuits.insert(kind, c);
            }
        }
        r.loaded = true;
        Ok(())
    }

    /// Write changed restart memory and circuits, under the lease.
    pub(super) fn save_restarts(&mut self) -> Result<(), StoreError> {
        let r = &self.restarts;
        if r.dirty_states.is_empty() && r.dirty_circuits.is_empty() {
            return Ok(());
        }
        let lease = self.lease;
        let written = self.store.write(|s| {
            if let Some(lease) = lease {
                if !s.holds(lease)? {
                    return Err(StoreError::LeaseLost {
                        path: s.path().to_path_buf(),
                    });
                }
            }
            for name in &r.dirty_states {
                if let Some(st) = r.states.get(name) {
                    let body = serde_json::to_string(st).expect("restart state serializes");
                    s.save_restart_state(name, &body)?;
                }
            }
            for kind in &r.dirty_circuits {
                if let Some(c) = r.circuits.get(kind) {
                    let body = serde_json::to_string(c).expect("circuit serializes");
                    s.save_circuit(kind, c.state.as_str(), c.until_ms, &body)?;
                }
            }
            Ok(())
        });
        match written {
            Ok(()) => {
                self.restarts.dirty_states.clear();
                self.restarts.dirty_circuits.clear();
                self.changed = true;
                Ok(())
            }
            Err(e) => {
                if matches!(e, StoreError::LeaseLost { .. }) {
                    self.lose_lease();
                }
                Err(e)
            }
        }
    }
}

/// Every kind's circuit as recorded in `store`, closed ones included.
pub fn recorded_circuits(store: &crate::store::Store) -> Result<Vec<Circuit>, StoreError> {
    Ok(store
        .circuits()?
        .into_values()
        .filter_map(|body| serde_json::from_str::<Circuit>(&body).ok())
        .collect())
}

/// Close `kind`'s circuit in `store` at `by`'s word, with its event, in one write; a
/// running supervisor picks it up on its next tick. Returns false when it was not open.
pub fn reset_recorded_circuit(
    store: &crate::store::Store,
    kind: &str,
    by: &str,
    now_ms: i64,
) -> Result<bool, StoreError> {
    store.write(|s| {
        let Some(mut c) = recorded_circuits(s)?.into_iter().find(|c| c.kind == kind) else {
            return Ok(false);
        };
        let Some(e) = c.close(Some(by.to_string())) else {
            return Ok(false);
        };
        let body = serde_json::to_string(&c).expect("circuit serializes");
        s.save_circuit(kind, c.state.as_str(), c.until_ms, &body)?;
        s.insert_event(&NewEvent::fleet(now_ms, e))?;
        Ok(true)
    })
}
