//! Notifications: which agents newly need the operator between two fleet pictures, the
//! terminal escape for a desktop notification, and the configured command, run in the
//! background with the event as JSON on its standard input.

use crate::config::{Desktop, NotifyOn};
use crate::fleet::{Activity, AgentView, FleetSnapshot, Tier};
use serde::Serialize;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A notification command still running after this long is killed.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Notifications waiting for the command beyond this many are dropped (and counted).
const QUEUE_LIMIT: usize = 100;

/// One change worth telling the operator about; the JSON the command reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotifyEvent {
    /// The fleet.
    pub fleet: String,
    /// The agent.
    pub agent: String,
    /// What happened: needs-input, warn, errored, exited or budget.
    pub event: &'static str,
    /// The agent's activity now.
    pub activity: String,
    /// Its stall tier now.
    pub tier: String,
    /// Its lifecycle state now.
    pub state: String,
    /// One line of detail: the rule that matched, the error, the exit status.
    pub detail: String,
    /// When the picture was taken (unix ms).
    pub at_ms: i64,
}

impl NotifyEvent {
    /// A one-line summary for a desktop notification.
    pub fn summary(&self) -> String {
        if self.event == "budget" {
            return match self.agent.as_str() {
                "" => format!("fleet {}: {}", self.fleet, self.detail),
                agent => format!("{agent}: {}", self.detail),
            };
        }
        let what = match self.event {
            "needs-input" => "needs input",
            "warn" => "is stalled (warn tier)",
            "errored" => "shows an error",
            _ => "exited",
        };
        if self.detail.is_empty() {
            format!("{} {what}", self.agent)
        } else {
            format!("{} {what}: {}", self.agent, self.detail)
        }
    }
}

fn kind_of(old: &AgentView, new: &AgentView) -> Vec<NotifyOn> {
    let mut out = Vec::new();
    if new.activity == Activity::NeedsInput && old.activity != Activity::NeedsInput {
        out.push(NotifyOn::NeedsInput);
    }
    if new.tier == Tier::Warn && old.tier != Tier::Warn {
        out.push(NotifyOn::Warn);
    }
    if new.activity == Activity::Errored && old.activity != Activity::Errored {
        out.push(NotifyOn::Errored);
    }
    if new.state.is_ended() && !old.state.is_ended() {
        out.push(NotifyOn::Exited);
    }
    if new.waits_to_be_told() && !old.waits_to_be_told() {
        out.push(NotifyOn::Waiting);
    }
    out
}

/// The changes between two pictures of the fleet that `on` asks to hear about. Agents
/// seen for the first time are not news: opening the console must not ring for every
/// agent that was already waiting.
pub fn changes(old: &FleetSnapshot, new: &FleetSnapshot, on: &[NotifyOn]) -> Vec<NotifyEvent> {
    let mut out = Vec::new();
    for a in &new.agents {
        let Some(before) = old.agent(&a.name) else {
            continue;
        };
        for kind in kind_of(before, a) {
            if !on.contains(&kind) {
                continue;
            }
            let detail = match kind {
                NotifyOn::NeedsInput => a.reason.clone().unwrap_or_default(),
                NotifyOn::Warn => "no progress for 2× its stall timeout".to_string(),
                NotifyOn::Errored => match (&a.error, &a.reason) {
                    (Some(e), _) => e.to_string(),
                    (None, Some(r)) => r.clone(),
                    (None, None) => String::new(),
                },
                // Budgets are news of the fleet, not of one agent's view: see below.
                NotifyOn::Budget => continue,
                NotifyOn::Waiting => "finished its turn; waiting for work".to_string(),
                NotifyOn::Exited => {
                    let what = match a.exit_status {
                        Some(s) => format!("{} (exit status {s})", a.state),
                        None => a.state.to_string(),
                    };
                    // What the restart policy made of it: a restart due, or the limit.
                    match &a.lineage.restart {
                        Some(r) => format!("{what}; {}", r.text(new.taken_at_ms)),
                        None => what,
                    }
                }
            };
            out.push(NotifyEvent {
                fleet: new.fleet.clone(),
                agent: a.name.clone(),
                event: kind.as_str(),
                activity: a.activity.to_string(),
                tier: a.tier.to_string(),
                state: a.state.to_string(),
                // The detail may quote the agent's screen: it goes to a desktop
                // notification and to the hook's stdin, never with a secret in it.
                detail: crate::logs::redact::redact(&detail).into_owned(),
                at_ms: new.taken_at_ms,
            });
        }
    }
    if on.contains(&NotifyOn::Budget) {
        out.extend(budget_changes(old, new));
    }
    out
}

/// Each budget that reached a higher level (80 %, spent) than in the old picture. A
/// budget the old picture lacks counts from below 80 %, unless the old picture is the
/// empty one a console starts from.
fn budget_changes(old: &FleetSnapshot, new: &FleetSnapshot) -> Vec<NotifyEvent> {
    use crate::fleet::BudgetLevel;
    let mut out = Vec::new();
    for b in &new.stats.budgets {
        let was = match old.stats.budgets.iter().find(|o| o.owner == b.owner) {
            Some(o) => o.level,
            None if old.agents.is_empty() => continue,
            None => BudgetLevel::Under,
        };
        if b.level <= was {
            continue;
        }
        let who = b.owner.as_deref().unwrap_or("");
        let view = new.agent(who);
        let word = |f: fn(&AgentView) -> String| view.map_or_else(String::new, f);
        out.push(NotifyEvent {
            fleet: new.fleet.clone(),
            agent: who.to_string(),
            event: NotifyOn::Budget.as_str(),
            activity: word(|a| a.activity.to_string()),
            tier: word(|a| a.tier.to_string()),
            state: word(|a| a.state.to_string()),
            detail: b.text(who),
            at_ms: new.taken_at_ms,
        });
    }
    out
}

/// The escape sequence that asks the terminal for a desktop notification. Inside tmux it
/// is wrapped so tmux passes it through to the outer terminal.
pub fn desktop_escape(style: Desktop, title: &str, body: &str, in_tmux: bool) -> Option<String> {
    // Control characters would end the sequence early or inject others.
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_control())
            .map(|c| if c == ';' { ',' } else { c })
            .collect()
    };
    let seq = match style {
        Desktop::Off => return None,
        Desktop::Osc9 => format!("\x1b]9;{}: {}\x07", clean(title), clean(body)),
        Desktop::Osc777 => format!("\x1b]777;notify;{};{}\x07", clean(title), clean(body)),
    };
    Some(if in_tmux {
        format!("\x1bPtmux;{}\x1b\\", seq.replace('\x1b', "\x1b\x1b"))
    } else {
        seq
    })
}

/// Runs notification commands one at a time on a background thread, so a slow hook
/// never holds up the console.
pub struct Notifier {
    tx: Option<Sender<(String, NotifyEvent)>>,
    failures: Receiver<String>,
    join: Option<JoinHandle<()>>,
    queued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl Notifier {
    /// Start the background thread.
    pub fn spawn() -> std::io::Result<Notifier> {
        Notifier::spawn_waking(Box::new(|| {}))
    }

    /// Start the background thread; `wake` is called after each failure is queued, so
    /// a caller that sleeps can look at [`Notifier::failures`] at once.
    pub fn spawn_waking(wake: Box<dyn Fn() + Send>) -> std::io::Result<Notifier> {
        use std::sync::atomic::Ordering;
        let (tx, rx) = mpsc::channel::<(String, NotifyEvent)>();
        let (fail_tx, failures) = mpsc::channel();
        let queued = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let q = queued.clone();
        let join = std::thread::Builder::new()
            .name("shoal-notify".into())
            .spawn(move || {
                for (cmd, ev) in rx {
                    q.fetch_sub(1, Ordering::SeqCst);
                    if let Err(e) = run_command(&cmd, &ev, COMMAND_TIMEOUT) {
                        let _ = fail_tx.send(format!("notification command for {}: {e}", ev.agent));
                        wake();
                    }
                }
            })?;
        Ok(Notifier {
            tx: Some(tx),
            failures,
            join: Some(join),
            queued,
        })
    }

    /// Queue `command` for this event; returns false when the queue is full.
    pub fn send(&self, command: &str, ev: NotifyEvent) -> bool {
        use std::sync::atomic::Ordering;
        if self.queued.load(Ordering::SeqCst) >= QUEUE_LIMIT {
            return false;
        }
        let Some(tx) = &self.tx else {
            return false;
        };
        self.queued.fetch_add(1, Ordering::SeqCst);
        tx.send((command.to_string(), ev)).is_ok()
    }

    /// Failures since the last call, one line each.
    pub fn failures(&self) -> Vec<String> {
        self.failures.try_iter().collect()
    }

    /// Wait for the queued commands to finish (at most their timeouts), then stop.
    pub fn finish(mut self) {
        self.tx.take();
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

impl Drop for Notifier {
    fn drop(&mut self) {
        // Closing the queue ends the thread after the command in hand; not waited for,
        // so quitting the console never hangs on a hook.
        self.tx.take();
    }
}

/// Run `sh -c command` with the event's JSON on stdin; kill it after `timeout`.
pub fn run_command(command: &str, ev: &NotifyEvent, timeout: Duration) -> Result<(), String> {
    let json = serde_json::to_string(ev).map_err(|e| e.to_string())?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("SHOAL_NOTIFY_EVENT", ev.event)
        .env("SHOAL_NOTIFY_AGENT", &ev.agent)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `sh -c {command}`: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that does not read its input is fine: ignore a closed pipe.
        let _ = stdin.write_all(json.as_bytes());
        let _ = stdin.write_all(b"\n");
    }
    let t0 = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                let err = err.lines().last().unwrap_or("").trim().to_string();
                return Err(format!(
                    "`{command}` ended with {status}{}",
                    if err.is_empty() {
                        String::new()
                    } else {
                        format!(": {err}")
                    }
                ));
            }
            Ok(None) if t0.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "`{command}` took longer than {}s and was stopped",
                    timeout.as_secs()
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests;
