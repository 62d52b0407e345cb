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

    // What it says of itself: uptime, ticks, lease epoch, no error; its pid file.
    let (_, st) = supervisor_status(&rig);
    assert!(st["ticks"].as_u64().expect("ticks") >= 8, "{st}");
    assert!(st["uptime_s"].as_i64().expect("uptime_s") >= 2, "{st}");
    assert!(
        st["lease_epoch"].as_i64().expect("lease_epoch") >= 1,
        "{st}"
    );
    assert_eq!(st["last_error"], Value::Null, "{st}");
    let pid_file = rig.home().join(format!("{}.supervisor.pid", rig.name));
    let written = std::fs::read_to_string(&pid_file).expect("the pid file");
    assert_eq!(written.trim(), pid.to_string());
    let human = rig.ok(&["supervisor", "status"]);
    assert!(
        human.contains(&format!("supervised by pid {pid} (detached)"))
            && human.contains(" ticks · last heartbeat ")
            && human.contains("lease epoch "),
        "{human}"
    );

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
    assert!(!pid_file.exists(), "the pid file goes with it");
    // The process is gone, not just its lease.
    assert!(
        !shoal::store::process_running(pid),
        "the detached supervisor (pid {pid}) still runs"
    );
}

#[test]
fn the_systemd_unit_starts_this_fleet_with_this_binary_and_home() {
    let rig = Rig::new("", "");
    let unit = rig.ok(&["supervisor", "unit"]);
    let fleet = rig.fleet_path().display().to_string();
    let exec = unit
        .lines()
        .find(|l| l.starts_with("ExecStart="))
        .unwrap_or_else(|| panic!("no ExecStart: {unit}"));
    assert!(
        exec.ends_with(&format!("-f \"{fleet}\" supervise")),
        "{exec}"
    );
    let exe = exec.trim_start_matches("ExecStart=\"");
    let exe = &exe[..exe.find('"').expect("a quoted binary")];
    assert!(std::path::Path::new(exe).is_file(), "{exe}");
    let home = format!("Environment=\"SHOAL_HOME={}\"", rig.home().display());
    assert!(unit.lines().any(|l| l == home), "{unit}");
    assert!(unit.contains("Restart=on-failure"), "{unit}");
    assert!(
        unit.contains(&format!(
            "Description=shoal supervisor for fleet {}",
            rig.name
        )),
        "{unit}"
    );
}
