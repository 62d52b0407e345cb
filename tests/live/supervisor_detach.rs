//! A supervisor that outlives the command that started it: `shoal supervise --detach`
//! returns at once, and the fleet is still nudged, warned and killed on time; `shoal
//! supervisor status|stop|logs` look after it.

use crate::common::Rig;
use serde_json::Value;
use std::time::Duration;

/// Ends the detached supervisor if a test fails before stopping it.
struct Detached(u32);

impl Drop for Detached {
    fn drop(&mut self) {
        // SAFETY: the pid of the supervisor this test started.
        unsafe { libc::kill(self.0 as i32, libc::SIGKILL) };
    }
}

fn supervisor_status(rig: &Rig) -> (i32, Value) {
    let out = rig.shoal(&["supervisor", "status", "--json"]);
    let v = serde_json::from_slice(&out.stdout).expect("status --json is JSON");
    (out.status.code().unwrap_or(-1), v)
}

#[test]
fn a_detached_supervisor_keeps_walking_the_ladder_after_the_command_returns() {
    let rig = Rig::new(
        "stall_timeout = \"2s\"\npoll_interval = \"250ms\"",
        r#"
[[agent]]
name = "mute"
cmd = "{sim} silent"
# Frozen at its prompt: a stall only with on_idle = "nudge".
on_idle = "nudge"
kind = "claude"
"#,
    );
    rig.ok(&["up", "--no-console"]);
    let out = rig.ok(&["supervise", "--detach"]);
    assert!(out.contains("detached"), "{out}");
    let (code, st) = supervisor_status(&rig);
    assert_eq!(code, 0, "{st}");
    assert_eq!(st["mode"], "detached");
    let pid = st["pid"].as_u64().expect("pid") as u32;
    let _guard = Detached(pid);
    assert_ne!(pid, std::process::id());

    // Nobody else runs: the detached supervisor alone nudges, warns and kills.
    let kinds = rig.wait_for(Duration::from_secs(40), "the ladder to reach kill", || {
        let k = rig.event_kinds("mute");
        k.contains(&"kill".to_string()).then_some(k)
    });
    let ladder: Vec<&str> = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| ["nudge", "warn", "kill"].contains(k))
        .collect();
    assert_eq!(ladder, ["nudge", "warn", "kill"], "{kinds:?}");
    assert_eq!(rig.agent("mute")["state"], "killed");

    // A second detach is refused while it runs; its log holds what it did.
    let again = rig.shoal(&["supervise", "--detach"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains(&format!("pid {pid}")));
    let log = rig.ok(&["supervisor", "logs", "--lines", "200"]);
    assert!(log.contains("mute") && log.contains("kill"), "{log}");

    let stopped = rig.ok(&["supervisor", "stop"]);
    assert!(stopped.contains(&format!("pid {pid}")), "{stopped}");
    let (code, st) = supervisor_status(&rig);
    assert_eq!((code, &st["running"]), (3, &Value::Bool(false)), "{st}");
    // The process is gone, not just its lease.
    assert!(
        !shoal::store::process_running(pid),
        "the detached supervisor (pid {pid}) still runs"
    );
}
