//! Ending a remote attempt's processes: the signals are sent on its host, through the
//! host's shared ssh connection, by a small `sh` script (no shoal binary is needed
//! there). The script runs on a thread so the tick is not held up by the grace.
//!
//! What is covered: the pane's first process (tmux makes it a session and group
//! leader), every process of its session and its process group, and every descendant
//! found by walking `pgrep -P` from it, as they stand when the kill begins: SIGTERM, up
//! to the grace, SIGKILL for what is left, then a check. What is not: a `setsid`
//! grandchild whose parent already exited (reparented to init, out of the tree), a
//! process started during the grace, and the environment-marker search the local kill
//! does through `/proc`.

use super::agent::Ending;
use super::core::Supervisor;
use super::reaper::KILL_GRACE;
use crate::fleet::{host, LifeState};
use std::sync::mpsc::{self, Receiver, TryRecvError};

/// Runs on the host as `sh -c SCRIPT shoal-kill PID TENTHS`: prints `left:` and the
/// pids still alive after SIGKILL (none: everything ended).
const SCRIPT: &str = r#"p=$1; n=$2
tree() { for c in $(pgrep -P "$1" 2>/dev/null); do echo "$c"; tree "$c"; done; }
pids=$( { echo "$p"; pgrep -s "$p" 2>/dev/null; pgrep -g "$p" 2>/dev/null; tree "$p"; } | sort -un)
alive() { l=""; for x in $pids; do kill -0 "$x" 2>/dev/null && l="$l $x"; done; echo "$l"; }
kill -TERM $pids 2>/dev/null
i=0
while [ "$i" -lt "$n" ] && [ -n "$(alive)" ]; do sleep 0.1; i=$((i+1)); done
left=$(alive)
if [ -n "$left" ]; then kill -KILL $left 2>/dev/null; sleep 0.2; fi
echo "left:$(alive)"
"#;

/// One remote kill under way.
#[derive(Debug)]
pub(crate) struct RemoteKill {
    attempt: u32,
    ending: Ending,
    screen: Option<String>,
    host: String,
    pid: u32,
    done: Receiver<Result<Vec<u32>, String>>,
}

impl Supervisor {
    /// When agent `i` runs on another host, start ending its processes there and return
    /// true; false for a local agent (the caller kills through `/proc`).
    pub(crate) fn begin_remote_kill(
        &mut self,
        i: usize,
        ending: &Ending,
        screen: Option<String>,
    ) -> bool {
        let att = &self.agents[i].att;
        let Some(server) = att.server.as_deref() else {
            return false;
        };
        let (Some(host), _) = host::split_server(server) else {
            return false;
        };
        let host = host.to_string();
        let (tx, rx) = mpsc::channel();
        let pid = att.pane_pid.unwrap_or(0);
        let transport = (0..self.servers.len())
            .find(|&s| self.servers.socket(s) == server)
            .and_then(|s| self.servers.server(s).transport().cloned())
            .or_else(|| self.servers.hosts().get(&host).cloned());
        match transport {
            Some(t) if pid > 1 => {
                let tenths = (KILL_GRACE.as_millis() / 100).to_string();
                let mut cmd =
                    t.command(&["sh", "-c", SCRIPT, "shoal-kill", &pid.to_string(), &tenths]);
                let _ = std::thread::Builder::new()
                    .name("shoal-remote-kill".into())
                    .spawn(move || {
                        let _ = tx.send(run(&mut cmd));
                    });
            }
            Some(_) => {
                let _ = tx.send(Err("no pane pid was recorded for the attempt".into()));
            }
            None => {
                let _ = tx.send(Err(format!("host `{host}` is not declared")));
            }
        }
        let pending = RemoteKill {
            attempt: att.attempt,
            ending: ending.clone(),
            screen,
            host,
            pid,
            done: rx,
        };
        let name = self.agents[i].name().to_string();
        self.reaper.remote.insert(name, pending);
        self.changed = true;
        true
    }

    /// End the attempts whose remote kill finished: `killed` when nothing was left,
    /// `failed` naming the survivors, and the kill's trouble in the note.
    pub(crate) fn reap_remote(&mut self, now_ms: i64) {
        let names: Vec<String> = self.reaper.remote.keys().cloned().collect();
        for name in names {
            let result = match self.reaper.remote.get(&name).map(|p| p.done.try_recv()) {
                Some(Ok(r)) => r,
                Some(Err(TryRecvError::Empty)) | None => continue,
                Some(Err(TryRecvError::Disconnected)) => Err("the kill thread ended".into()),
            };
            let Some(p) = self.reaper.remote.remove(&name) else {
                continue;
            };
            let Some(i) = self.find(&name) else {
                continue;
            };
            if self.agents[i].att.attempt != p.attempt || !self.agents[i].is_live() {
                continue;
            }
            let mut note = match &result {
                Ok(left) if left.is_empty() => {
                    format!("processes of pid {} ended on host {}", p.pid, p.host)
                }
                Ok(left) => format!("on host {}: still running after SIGKILL: {left:?}", p.host),
                Err(e) => format!("signals on host {} failed: {e}", p.host),
            };
            if let Some(e) = self.close_window(i) {
                note.push_str(&format!("; {e}"));
            }
            let mut event = self.agents[i].killed(&p.ending, p.screen, Some(note.clone()), now_ms);
            if !matches!(&result, Ok(left) if left.is_empty()) {
                let att = &mut self.agents[i].att;
                att.state = LifeState::Failed;
                att.reason = Some(format!("the kill may have left processes running: {note}"));
                event.rule = att.reason.clone();
            }
            self.record([event]);
            self.changed = true;
        }
    }
}

/// Run the kill script and read which pids it left.
fn run(cmd: &mut std::process::Command) -> Result<Vec<u32>, String> {
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ssh: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(left) = text.lines().find_map(|l| l.strip_prefix("left:")) else {
        let stderr = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "the kill script did not finish (status {}): {}",
            out.status,
            stderr.trim()
        ));
    };
    Ok(left
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect())
}
