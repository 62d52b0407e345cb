//! `shoal hook [--store FILE] CLI [EVENT] [JSON]`: what an agent CLI's own hooks run
//! (Claude Code's and Gemini CLI's settings hooks, Codex's `notify`, aider's
//! notifications command), from inside the agent's pane. It records the CLI's event for
//! the agent whose pane it runs in, as the caller rule finds it from the process tree,
//! and ends.
//!
//! A hook must never slow, block or break the CLI that runs it: this command prints
//! nothing on stdout (CLIs read it as instructions), always exits 0 (Claude Code and
//! Gemini CLI read 2 as "block"), waits at most half a second for its input, gives up
//! quietly when there is no store, and writes a word to stderr only when stderr is not
//! the agent's terminal (Codex's TUI would show it).

use super::caller::identify_in;
use crate::fleet::{Caller, EventKind};
use crate::store::{NewEvent, Store};
use serde_json::Value;
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::time::Duration;

/// How long the hook waits for the CLI to finish writing its event to stdin.
const STDIN_WAIT: Duration = Duration::from_millis(500);
/// Most bytes of input read; events are small, a transcript is not read.
const STDIN_MAX: u64 = 1 << 20;
/// Longest event name kept.
const EVENT_MAX: usize = 64;

/// The hook's arguments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct HookArgs {
    store: Option<PathBuf>,
    cli: String,
    event: Option<String>,
    payload: Option<String>,
}

/// Run the hook with the words after `hook`; the exit status is always 0.
pub fn main(args: &[String]) -> i32 {
    if let Err(why) = run(args) {
        if !std::io::stderr().is_terminal() {
            eprintln!("shoal hook: {why}; nothing recorded");
        }
    }
    0
}

fn run(args: &[String]) -> Result<(), String> {
    let mut a = parse(args);
    if a.payload.is_none() {
        a.payload = read_stdin();
    }
    let payload: Option<Value> = a
        .payload
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let event = event_name(payload.as_ref(), a.event.as_deref());
    let path = a
        .store
        .or_else(store_from_env)
        .ok_or("no --store and no SHOAL_HOME/SHOAL_FLEET")?;
    if !path.is_file() {
        return Err(format!("no store at {}", path.display()));
    }
    let store = Store::open(&path).map_err(|e| e.to_string())?;
    let fleet = match store.fleet_settings() {
        Ok(Some(f)) => f.settings.name,
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    // Who this is comes from where it runs, never from its arguments.
    let caller = identify_in(&store, &fleet).map_err(|e| e.to_string())?;
    let Caller::Agent { name, attempt, .. } = caller else {
        return Err("not inside an agent's pane".into());
    };
    let kind = EventKind::Hook {
        cli: clean(&a.cli),
        event,
    };
    let now = crate::supervisor::runner::now_ms();
    store
        .insert_event(&NewEvent::agent(now, &name, attempt, kind))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `--store FILE` (or `--store=FILE`) anywhere, then the CLI's name, its event, and a
/// JSON argument (Codex passes its event that way): a word starting with `{`.
fn parse(args: &[String]) -> HookArgs {
    let mut a = HookArgs::default();
    let mut words = Vec::new();
    let mut it = args.iter();
    while let Some(w) = it.next() {
        if w == "--store" {
            a.store = it.next().map(PathBuf::from);
        } else if let Some(p) = w.strip_prefix("--store=") {
            a.store = Some(PathBuf::from(p));
        } else if w.trim_start().starts_with('{') {
            a.payload = Some(w.clone());
        } else {
            words.push(w.clone());
        }
    }
    let mut words = words.into_iter();
    a.cli = words.next().unwrap_or_default();
    a.event = words.next();
    a
}

/// The store the pane's environment names, when the CLI passed it on.
fn store_from_env() -> Option<PathBuf> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    Some(PathBuf::from(var("SHOAL_HOME")?).join(format!("{}.sqlite", var("SHOAL_FLEET")?)))
}

/// The event's JSON from stdin, unless stdin is a terminal (aider's command inherits
/// the agent's) or nothing comes in time.
fn read_stdin() -> Option<String> {
    if std::io::stdin().is_terminal() {
        return None;
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::stdin().take(STDIN_MAX).read_to_end(&mut buf);
        let _ = tx.send(buf);
    });
    let buf = rx.recv_timeout(STDIN_WAIT).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned()).filter(|s| !s.trim().is_empty())
}

/// The event as its CLI names it (`hook_event_name`, Codex's `type`), else as the
/// hook's arguments do, with its notification type: `Notification:idle_prompt`.
fn event_name(payload: Option<&Value>, arg: Option<&str>) -> String {
    let field = |k: &str| payload.and_then(|p| p.get(k)).and_then(Value::as_str);
    let name = field("hook_event_name")
        .or_else(|| field("type"))
        .or(arg)
        .unwrap_or("notification");
    match field("notification_type") {
        Some(t) => clean(&format!("{name}:{t}")),
        None => clean(name),
    }
}

/// Only what names an event: letters, digits and `_ - . :`, at most [`EVENT_MAX`].
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "_-.:".contains(*c))
        .take(EVENT_MAX)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(s: &[&str]) -> Vec<String> {
        s.iter().map(|w| (*w).to_string()).collect()
    }

    #[test]
    fn arguments_name_the_store_the_cli_the_event_and_a_json_payload() {
        let a = parse(&words(&["--store", "/d/f.sqlite", "claude", "Stop"]));
        assert_eq!(
            a,
            HookArgs {
                store: Some("/d/f.sqlite".into()),
                cli: "claude".into(),
                event: Some("Stop".into()),
                payload: None,
            }
        );
        let a = parse(&words(&[
            "--store=/d/f.sqlite",
            "codex",
            r#"{"type":"agent-turn-complete"}"#,
        ]));
        assert_eq!(a.store, Some("/d/f.sqlite".into()));
        assert_eq!((a.cli.as_str(), a.event), ("codex", None));
        assert!(a.payload.is_some());
        assert_eq!(parse(&[]), HookArgs::default());
    }

    #[test]
    fn the_event_is_the_clis_own_name_with_its_notification_type() {
        let claude = json!({"hook_event_name": "Notification", "notification_type": "idle_prompt"});
        assert_eq!(
            event_name(Some(&claude), Some("Notification")),
            "Notification:idle_prompt"
        );
        let codex = json!({"type": "agent-turn-complete", "input-messages": ["hi"]});
        assert_eq!(event_name(Some(&codex), None), "agent-turn-complete");
        assert_eq!(event_name(None, Some("notification")), "notification");
        assert_eq!(event_name(None, None), "notification");
        let hostile = json!({"hook_event_name": "Stop\n; rm -rf / $(x)"});
        assert_eq!(event_name(Some(&hostile), None), "Stoprm-rfx");
    }

    #[test]
    fn without_a_store_it_records_nothing_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.sqlite");
        let err = run(&words(&[
            "--store",
            &missing.display().to_string(),
            "claude",
            "Stop",
            "{}",
        ]))
        .unwrap_err();
        assert!(err.contains("no store"), "{err}");
        assert!(!missing.exists(), "the hook created a store");
        assert_eq!(
            main(&words(&[
                "--store",
                &missing.display().to_string(),
                "x",
                "{}"
            ])),
            0
        );
    }
}
