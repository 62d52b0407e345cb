//! A scripted tmux server and detector for supervisor tests: screens are set by the
//! test, typed text lands on the screen as a terminal would echo it.

use super::detector::{Detector, Keys, Observation};
use crate::fleet::{Activity, ErrorKind};
use crate::tmux::{PaneInfo, TmuxBackend, TmuxError, WindowSpec};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub struct FakePane {
    pub spec: Option<WindowSpec>,
    pub screen: String,
    pub dead: bool,
    pub status: Option<i32>,
    pub activity_sec: i64,
    /// Lines scrolled off the top, oldest first.
    pub history: Vec<String>,
    pub keys: Vec<String>,
    pub typed: Vec<String>,
    /// When set, typing reads this store first and notes the agent's recorded tier: what
    /// a supervisor that died right after typing would have left on record.
    pub watch_store: Option<std::path::PathBuf>,
    pub tier_on_record_when_typed: Vec<String>,
    /// Pane options set on it (`@shoal_mark`, `@shoal_req`, answers).
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
pub struct FakeServer {
    pub panes: BTreeMap<String, FakePane>,
    pub next_id: u32,
    pub captures: usize,
    pub lists: usize,
    pub down: bool,
    /// What the backend says when asked whether it works in a fallback mode.
    pub degraded: Option<String>,
}

/// Every fake server of a test, by socket.
#[derive(Clone, Default)]
pub struct FakeTmux {
    pub servers: Arc<Mutex<BTreeMap<String, FakeServer>>>,
}

impl FakeTmux {
    pub fn connector(&self) -> super::Connector {
        let me = self.clone();
        Box::new(move |server: &crate::tmux::Server, _start: bool| {
            let socket = server.socket();
            me.servers
                .lock()
                .unwrap()
                .entry(socket.to_string())
                .or_default();
            Ok(Box::new(FakeBackend {
                socket: socket.to_string(),
                tmux: me.clone(),
            }) as Box<dyn TmuxBackend + Send>)
        })
    }

    /// Run `f` on the pane of `agent` (the newest one started for it).
    pub fn with_pane<T>(&self, agent: &str, f: impl FnOnce(&mut FakePane) -> T) -> T {
        let mut servers = self.servers.lock().unwrap();
        let pane = servers
            .values_mut()
            .flat_map(|s| s.panes.values_mut())
            .filter(|p| p.spec.as_ref().is_some_and(|s| s.agent == agent))
            .max_by_key(|p| p.spec.as_ref().map(|s| s.attempt))
            .unwrap_or_else(|| panic!("no pane for {agent}"));
        f(pane)
    }

    /// Whether a pane was started for `agent`.
    pub fn has_pane(&self, agent: &str) -> bool {
        let servers = self.servers.lock().unwrap();
        let found = servers
            .values()
            .flat_map(|s| s.panes.values())
            .any(|p| p.spec.as_ref().is_some_and(|s| s.agent == agent));
        found
    }

    /// Change an agent's screen, as output at `now_sec` would.
    pub fn show(&self, agent: &str, screen: &str, now_sec: i64) {
        self.with_pane(agent, |p| {
            p.screen = screen.to_string();
            p.activity_sec = now_sec;
        });
    }

    pub fn pane_count(&self) -> usize {
        self.servers
            .lock()
            .unwrap()
            .values()
            .map(|s| s.panes.len())
            .sum()
    }
}

pub struct FakeBackend {
    socket: String,
    tmux: FakeTmux,
}

impl FakeBackend {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut FakeServer) -> Result<T, TmuxError>,
    ) -> Result<T, TmuxError> {
        let mut servers = self.tmux.servers.lock().unwrap();
        let server = servers.get_mut(&self.socket).expect("server exists");
        if server.down {
            return Err(TmuxError::ServerDown {
                socket: self.socket.clone(),
            });
        }
        f(server)
    }
}

fn no_pane(pane: &str) -> TmuxError {
    TmuxError::Command {
        command: "send-keys".into(),
        message: format!("can't find pane: {pane}"),
    }
}

impl TmuxBackend for FakeBackend {
    fn socket(&self) -> &str {
        &self.socket
    }

    fn degraded(&self) -> Option<String> {
        let servers = self.tmux.servers.lock().unwrap();
        servers.get(&self.socket).and_then(|s| s.degraded.clone())
    }

    fn list_panes(&mut self) -> Result<Vec<PaneInfo>, TmuxError> {
        self.with(|s| {
            s.lists += 1;
            Ok(s.panes
                .iter()
                .map(|(id, p)| PaneInfo {
                    pane_id: id.clone(),
                    window_id: format!("@{}", &id[1..]),
                    window_name: p.spec.as_ref().map(|s| s.name.clone()).unwrap_or_default(),
                    pid: 1,
                    dead: p.dead,
                    dead_status: p.status,
                    width: 200,
                    height: 50,
                    window_activity: p.activity_sec,
                    history_size: p.history.len() as u64,
                    agent: p.spec.as_ref().map(|s| s.agent.clone()),
                    attempt: p.spec.as_ref().map(|s| s.attempt),
                    mark: p.options.get(crate::tmux::MARK_OPTION).cloned(),
                    title: String::new(),
                })
                .collect())
        })
    }

    fn poll_panes(&mut self) -> Result<Vec<crate::tmux::PaneState>, TmuxError> {
        let listed = self.list_panes()?;
        self.with(|s| {
            Ok(listed
                .into_iter()
                .map(|p| {
                    let request_len = s
                        .panes
                        .get(&p.pane_id)
                        .and_then(|f| f.options.get(crate::fleet::pane_request::REQUEST_OPTION))
                        .map_or(0, String::len);
                    crate::tmux::PaneState {
                        request_len,
                        ..p.into()
                    }
                })
                .collect())
        })
    }

    fn set_pane_option(&mut self, pane: &str, option: &str, value: &str) -> Result<(), TmuxError> {
        self.with(|s| {
            let p = s.panes.get_mut(pane).ok_or_else(|| no_pane(pane))?;
            p.options.insert(option.to_string(), value.to_string());
            Ok(())
        })
    }

    fn take_pane_option(&mut self, pane: &str, option: &str) -> Result<Option<String>, TmuxError> {
        self.with(|s| {
            let p = s.panes.get_mut(pane).ok_or_else(|| no_pane(pane))?;
            Ok(p.options.remove(option).filter(|v| !v.is_empty()))
        })
    }

    fn capture_panes(&mut self, panes: &[String]) -> Result<Vec<Option<String>>, TmuxError> {
        self.with(|s| {
            s.captures += panes.len();
            Ok(panes
                .iter()
                .map(|id| s.panes.get(id).map(|p| p.screen.clone()))
                .collect())
        })
    }

    fn send_keys(&mut self, pane: &str, keys: &[String]) -> Result<(), TmuxError> {
        self.with(|s| {
            let p = s.panes.get_mut(pane).ok_or_else(|| no_pane(pane))?;
            p.keys.extend(keys.iter().cloned());
            if keys.iter().any(|k| k == "Enter") {
                p.screen.push('\n');
            }
            Ok(())
        })
    }

    fn send_text(&mut self, pane: &str, text: &str) -> Result<(), TmuxError> {
        self.with(|s| {
            let p = s.panes.get_mut(pane).ok_or_else(|| no_pane(pane))?;
            if let (Some(path), Some(spec)) = (&p.watch_store, &p.spec) {
                let store = crate::store::Store::open(path).expect("watched store opens");
                let tier = store
                    .current_attempts()
                    .expect("attempts read")
                    .into_iter()
                    .find(|a| a.agent == spec.agent)
                    .map_or("none".to_string(), |a| a.tier.to_string());
                p.tier_on_record_when_typed.push(tier);
            }
            p.typed.push(text.to_string());
            p.screen.push_str(text);
            Ok(())
        })
    }

    fn kill_pane(&mut self, pane: &str) -> Result<(), TmuxError> {
        self.with(|s| {
            s.panes
                .remove(pane)
                .map(|_| ())
                .ok_or_else(|| no_pane(pane))
        })
    }

    fn capture_history(
        &mut self,
        panes: &[(String, u32)],
    ) -> Result<Vec<Option<String>>, TmuxError> {
        self.with(|s| {
            Ok(panes
                .iter()
                .map(|(id, n)| {
                    s.panes.get(id).map(|p| {
                        let from = p.history.len().saturating_sub(*n as usize);
                        p.history[from..].join("\n")
                    })
                })
                .collect())
        })
    }

    fn new_window(&mut self, spec: &WindowSpec) -> Result<String, TmuxError> {
        self.with(|s| {
            if spec.cmd.contains("cannot-start") {
                return Err(TmuxError::Command {
                    command: "new-window".into(),
                    message: format!("{:?} cannot be started", spec.cmd),
                });
            }
            s.next_id += 1;
            let id = format!("%{}", s.next_id);
            s.panes.insert(
                id.clone(),
                FakePane {
                    spec: Some(spec.clone()),
                    ..Default::default()
                },
            );
            Ok(id)
        })
    }
}

/// Screens speak a tiny language: `ASK?` needs input, `IDLE>` is idle, `ERR429 reset=MS`
/// is a rate limit, `ERRAUTH` a fatal auth failure; lines starting with `SPIN` animate without meaning progress.
pub struct FakeDetector;

impl Detector for FakeDetector {
    fn normalize(&self, _kind: &str, raw: &str) -> String {
        raw.lines()
            .filter(|l| !l.starts_with("SPIN"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn classify(&self, _kind: &str, raw: &str, _now_ms: i64) -> Observation {
        let last = raw
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let (activity, error, reset) = if last.contains("ASK?") {
            (Activity::NeedsInput, None, None)
        } else if let Some(rest) = last.strip_prefix("ERR429 reset=") {
            (
                Activity::Errored,
                Some(ErrorKind::RateLimit),
                rest.trim().parse().ok(),
            )
        } else if last.starts_with("ERRAUTH") {
            (Activity::Errored, Some(ErrorKind::Auth), None)
        } else if last.starts_with("IDLE>") {
            (Activity::Idle, None, None)
        } else {
            (Activity::Working, None, None)
        };
        Observation {
            activity,
            error,
            reason: Some(format!("fake rule on {last:?}")),
            reset_at_ms: reset,
            ready: None,
        }
    }

    fn keys(&self, _kind: &str, which: Keys) -> Vec<String> {
        match which {
            Keys::Approve => vec!["Enter".into()],
            Keys::Deny => vec!["Escape".into()],
            Keys::Interrupt => vec!["C-c".into()],
        }
    }

    fn continue_message(&self, _kind: &str) -> Option<String> {
        Some("continue".into())
    }

    fn guess_kind(&self, _cmd: &str) -> String {
        "shell".into()
    }

    fn session_args(&self, kind: &str) -> Option<crate::profile::SessionArgs> {
        let resume = "--resume {session}".to_string();
        match kind {
            "resumable" => Some(crate::profile::SessionArgs {
                launch: Some("--id {session}".into()),
                discover: None,
                resume,
            }),
            "discovered" => Some(crate::profile::SessionArgs {
                launch: None,
                discover: Some(r"^log-(?P<session>\w+)\.jsonl$".into()),
                resume,
            }),
            _ => None,
        }
    }
}
