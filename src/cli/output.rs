//! Text and JSON the CLI prints.

use crate::fleet::{EventView, FleetSnapshot};
use anyhow::{Context, Result};
use serde_json::{json, Value};
use std::path::PathBuf;

/// A local wall-clock rendering of unix ms.
pub fn clock(ms: i64) -> String {
    use chrono::TimeZone;
    match chrono::Local.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        _ => ms.to_string(),
    }
}

/// One event as a log line.
pub fn event_line(e: &EventView) -> String {
    let agent = e.agent.as_deref().unwrap_or("-");
    let attempt = e.attempt.map_or(String::new(), |a| format!("#{a}"));
    let rule = e
        .rule
        .as_deref()
        .map_or(String::new(), |r| format!("  [{r}]"));
    format!(
        "{}  {agent}{attempt}  {:<9} {}{rule}",
        clock(e.ts_ms),
        e.kind,
        e.detail
    )
}

/// Seconds since last progress, for an agent that has started.
fn since_progress_s(last: i64, now: i64) -> Option<i64> {
    (last > 0).then(|| ((now - last) / 1000).max(0))
}

/// `shoal status --json`: one object per agent.
pub fn status_json(s: &FleetSnapshot, now: i64) -> Value {
    Value::Array(
        s.agents
            .iter()
            .map(|a| {
                json!({
                    "name": a.name,
                    "parent": a.parent,
                    "kind": a.kind,
                    "state": a.state,
                    "activity": a.activity,
                    "error": a.error,
                    "tier": a.tier,
                    "since_progress_s": since_progress_s(a.last_progress_ms, now),
                    "next_action_in_s": a.next_action_at_ms.map(|t| ((t - now) / 1000).max(0)),
                    "attempt": a.attempt,
                    "pane": a.pane,
                    "server": a.server,
                    "exit_status": a.exit_status,
                    "paused": a.paused,
                    "reset_at_ms": a.reset_at_ms,
                    "reason": a.reason,
                })
            })
            .collect(),
    )
}

/// `shoal detect`: classify saved captures.
pub fn detect(kind: Option<&str>, json: bool, files: &[PathBuf]) -> Result<i32> {
    let registry = super::ctx::registry();
    if let Some(k) = kind {
        if registry.get(k).is_none() {
            anyhow::bail!(
                "unknown kind {k:?}; known kinds: {}",
                registry.names().join(", ")
            );
        }
    }
    let mut reports = Vec::new();
    for f in files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let name = f.display().to_string();
        reports.push(crate::profile::detect_report(
            &registry, kind, &name, &bytes,
        ));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            print!("{}", r.to_text());
        }
    }
    Ok(0)
}

/// Let SIGPIPE end the process, as for any Unix filter: `shoal events | head` stops
/// quietly when `head` has read enough instead of failing on the closed pipe. Only for
/// commands that print and touch no agent; the supervisor keeps SIGPIPE ignored, so a
/// tmux client that dies cannot take it down.
pub fn end_quietly_on_a_closed_pipe() {
    // SAFETY: restoring the default disposition of one signal before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
