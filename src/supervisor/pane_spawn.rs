//! What a remote pane may ask for besides a signal: a new agent in its own subtree, on
//! its own host (`shoal spawn`), and its children's signals (`shoal inbox`). The same
//! checks as the local commands, said in the same words; the caller is the agent whose
//! pane asked, and nobody else.

use super::core::Supervisor;
use crate::fleet::pane_request::SpawnSpec;
use crate::fleet::{may_act, Caller, EventKind, Verb};
use crate::store::{AgentRecord, NewEvent, Origin};
use std::collections::BTreeMap;

impl Supervisor {
    /// Record the agent `spec` describes as a child in agent `i`'s subtree, on agent
    /// `i`'s host; the tick starts it. The outcome is recorded on agent `i`.
    pub(crate) fn spawn_from_pane(
        &mut self,
        i: usize,
        caller: &Caller,
        spec: SpawnSpec,
        now_ms: i64,
    ) -> Result<String, String> {
        let result = self.plan_and_record_spawn(i, caller, spec, now_ms);
        let by = caller.to_string();
        let kind = match &result {
            Ok(outcome) => EventKind::Acted {
                verb: Verb::Spawn,
                by,
                outcome: outcome.clone(),
            },
            Err(why) => EventKind::Refused {
                verb: Verb::Spawn,
                by,
                why: why.clone(),
            },
        };
        let event = NewEvent::agent(
            now_ms,
            self.agents[i].name(),
            self.agents[i].att.attempt,
            kind,
        );
        self.record([event]);
        result
    }

    fn plan_and_record_spawn(
        &mut self,
        i: usize,
        caller: &Caller,
        s: SpawnSpec,
        now_ms: i64,
    ) -> Result<String, String> {
        let me = self.agents[i].name().to_string();
        let fleet = self.settings.name.clone();
        crate::fleet::file::check_name(&s.name).map_err(|e| format!("spawn: {e}"))?;
        if self.find(&s.name).is_some() || self.store.agent(&s.name).ok().flatten().is_some() {
            return Err(format!(
                "an agent named {:?} already exists in fleet {fleet}; choose another name",
                s.name
            ));
        }
        let parent = s.parent.clone().unwrap_or_else(|| me.clone());
        let parents = (self.agents.iter())
            .map(|a| (a.name().to_string(), a.decl.parent.clone()))
            .collect();
        may_act(caller, Verb::Spawn, &parent, &parents)?;
        let parent_rec = self
            .store
            .agent(&parent)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("parent {parent:?} names no agent in fleet {fleet}"))?;
        let cmd = command_line(&s.cmd);
        let kind = match s.kind {
            Some(k) if self.detector.has_kind(&k) => k,
            Some(k) => {
                return Err(format!(
                    "unknown kind {k:?}; leave --kind out to guess it from the command"
                ))
            }
            None => self.detector.guess_kind(&cmd),
        };
        let cwd = match s.cwd {
            Some(d) if d.starts_with('/') => d,
            Some(d) => {
                return Err(format!(
                    "--cwd {d:?} is not an absolute path on the host; give the full path"
                ))
            }
            None => {
                return Err(
                    "--cwd is missing: the shim sends its own directory; pass --cwd DIR".into(),
                )
            }
        };
        let mut env = BTreeMap::new();
        for (k, v) in s.env {
            let ok = !k.is_empty()
                && !k.starts_with(|c: char| c.is_ascii_digit())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok {
                return Err(format!(
                    "--env: variable name {k:?} is not valid; use letters, digits and '_', not starting with a digit"
                ));
            }
            env.insert(k, v);
        }
        let stall_timeout_ms = s
            .stall_timeout
            .map_or(parent_rec.stall_timeout_ms, |d| d.as_millis() as u64)
            .max(1);
        let host = self.store.agent_host(&me).map_err(|e| e.to_string())?;
        let mut rec = AgentRecord {
            name: s.name.clone(),
            parent: Some(parent.clone()),
            kind: kind.clone(),
            cmd,
            cwd: Some(cwd),
            task: s.task,
            env,
            stall_timeout_ms,
            paused: false,
            on_idle: None,
            seq: 0,
            created_ms: now_ms,
        };
        let max_children = s.max_children.map(|n| n as usize);
        let written = self
            .store
            .write(|st| {
                // Checked again inside the transaction: a local spawn may have raced us.
                if st.agent(&rec.name)?.is_some() {
                    return Ok(false);
                }
                rec.seq = st.next_seq()?;
                st.upsert_agent(&rec)?;
                st.set_agent_meta(&rec.name, Origin::Spawn, max_children)?;
                st.set_agent_host(&rec.name, host.as_deref())?;
                Ok(true)
            })
            .map_err(|e| e.to_string())?;
        if !written {
            return Err(format!(
                "an agent named {:?} was just added by someone else; choose another name",
                s.name
            ));
        }
        // Writes on this connection do not move the store's data version: read now.
        self.reload().map_err(|e| e.to_string())?;
        let place = host.map_or("this machine".to_string(), |h| format!("host {h}"));
        Ok(format!(
            "spawned {} ({kind}) as a child of {parent} on {place}",
            s.name
        ))
    }

    /// Signals sent to `reader` by its children since it last read, as `shoal inbox`
    /// prints them; `None` when there are none. Only the caller's own inbox.
    pub(crate) fn read_inbox(
        &mut self,
        caller: &Caller,
        reader: &str,
        json: bool,
    ) -> Result<Option<String>, String> {
        let parents = (self.agents.iter())
            .map(|a| (a.name().to_string(), a.decl.parent.clone()))
            .collect();
        may_act(caller, Verb::Inbox, reader, &parents)?;
        let got = self.store.take_inbox(reader).map_err(|e| e.to_string())?;
        if got.is_empty() {
            return Ok(None);
        }
        if json {
            return serde_json::to_string_pretty(&got)
                .map(Some)
                .map_err(|e| e.to_string());
        }
        Ok(Some(
            got.iter()
                .map(|s| {
                    format!(
                        "{}  {}#{}  {:<10} {}",
                        clock(s.ts_ms),
                        s.agent,
                        s.attempt,
                        s.kind.as_str(),
                        s.message
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ))
    }
}

/// The command line a spawn's words stand for: one word is a shell line as written,
/// several are quoted word by word (as `shoal spawn` does locally).
fn command_line(words: &[String]) -> String {
    match words {
        [one] => one.clone(),
        many => many
            .iter()
            .map(|w| crate::tmux::ssh::sh_quote(w))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Local date and time, as `shoal inbox` prints it.
fn clock(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => ms.to_string(),
    }
}
