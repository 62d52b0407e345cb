//! The console and the supervisor apart: a console that quits hands its fleet to a
//! detached supervisor, and a console opened while another process supervises is a view
//! of it that acts through it and takes over when it dies. The real binary runs in
//! panes of a private tmux server, driven with send-keys and read with capture-pane.

use crate::common::{Rig, Terminal};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Ends a supervisor the test did not stop itself.
struct Reaper(Option<u32>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            // SAFETY: the pid of a supervisor this test caused to start.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        }
    }
}

fn holder(rig: &Rig) -> Option<(u32, String)> {
    let out = rig.shoal(&["supervisor", "status", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).ok()?;
    Some((v["pid"].as_u64()? as u32, v["mode"].as_str()?.to_string()))
}

fn ts_of(events: &[Value], kind: &str) -> Vec<i64> {
    events
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["ts_ms"].as_i64().expect("ts_ms"))
        .collect()
}

#[test]
fn quitting_the_console_hands_the_fleet_to_a_detached_supervisor_that_goes_on_with_the_ladder() {
    let stall = Duration::from_secs(5);
    let rig = Rig::new(
        "stall_timeout = \"5s\"\npoll_interval = \"250ms\"",
        r#"
[[agent]]
name = "mute"
cmd = "{sim} silent"
kind = "claude"
on_idle = "nudge"
"#,
    );
    rig.ok(&["up", "--no-console"]);
    let fleet_arg = rig.fleet_path().display().to_string();
    let term = Terminal::for_rig(&rig);
    term.open_window("console", &["-f", &fleet_arg]);
    term.wait_window("console", "the tree", Duration::from_secs(20), |s| {
        s.contains("mute")
    });
    let (console_pid, mode) = rig.wait_for(Duration::from_secs(10), "the console's lease", || {
        holder(&rig)
    });
    let mut reaper = Reaper(None);
    assert_eq!(mode, "console");

    // The console's own supervisor nudges; the operator quits before the warn.
    rig.wait_for(Duration::from_secs(30), "the nudge", || {
        (!ts_of(&rig.events("mute"), "nudge").is_empty()).then_some(())
    });
    term.keys_to("console", &["q"]);
    let s = term.wait_window("console", "the hand-off", Duration::from_secs(20), |s| {
        s.contains("console-exited")
    });
    assert!(
        s.contains("supervised by a detached supervisor (pid"),
        "the console says who supervises now:\n{s}"
    );
    let (pid, mode) = holder(&rig).expect("a supervisor after the quit");
    reaper.0 = Some(pid);
    assert_eq!(mode, "detached");
    assert_ne!(pid, console_pid);
    assert!(
        !shoal::store::process_running(console_pid) || console_pid == std::process::id(),
        "the console process is gone"
    );

    // The detached supervisor carries on: warn and kill, each once and on time.
    let events = rig.wait_for(Duration::from_secs(40), "the kill", || {
        let e = rig.events("mute");
        (!ts_of(&e, "kill").is_empty()).then_some(e)
    });
    let (nudge, warn, kill) = (
        ts_of(&events, "nudge"),
        ts_of(&events, "warn"),
        ts_of(&events, "kill"),
    );
    assert_eq!(
        (nudge.len(), warn.len(), kill.len()),
        (1, 1, 1),
        "each tier once: {events:#?}"
    );
    let on_time = |from: i64, to: i64, what: &str| {
        let gap = Duration::from_millis(u64::try_from(to - from).unwrap_or(0));
        assert!(
            gap >= stall.checked_sub(Duration::from_millis(300)).unwrap()
                && gap <= stall + Duration::from_secs(3),
            "{what} came {gap:?} after the tier before (stall timeout {stall:?})"
        );
    };
    on_time(nudge[0], warn[0], "the warn");
    on_time(warn[0], kill[0], "the kill");
    assert_eq!(rig.agent("mute")["state"], "killed");
    let log = rig.ok(&["supervisor", "logs", "--lines", "200"]);
    assert!(log.contains("mute") && log.contains("kill"), "{log}");

    // `shoal supervisor stop` ends it.
    let stopped = rig.ok(&["supervisor", "stop"]);
    assert!(stopped.contains(&format!("pid {pid}")), "{stopped}");
    assert!(holder(&rig).is_none());
    assert!(!shoal::store::process_running(pid));
    reaper.0 = None;
}

#[test]
fn a_console_opened_beside_a_running_supervisor_is_a_view_that_acts_through_it_and_takes_over() {
    let mut rig = Rig::new(
        "stall_timeout = \"10m\"\npoll_interval = \"250ms\"",
        r#"
[[agent]]
name = "quiet"
cmd = "{sim} idle"
kind = "claude"
"#,
    );
    rig.ok(&["up", "--no-console"]);
    let sup = rig.supervise();
    rig.wait_for(Duration::from_secs(10), "the headless supervisor", || {
        holder(&rig).filter(|(p, _)| *p == sup)
    });
    let fleet_arg = rig.fleet_path().display().to_string();
    let term = Terminal::for_rig(&rig);
    term.open_window("one", &["-f", &fleet_arg]);
    term.open_window("two", &["-f", &fleet_arg]);
    let header = format!("supervised by pid {sup} · foreground");
    for w in ["one", "two"] {
        term.wait_window(
            w,
            "a view of the supervisor",
            Duration::from_secs(20),
            |s| s.contains(&header) && s.contains("quiet"),
        );
    }
    assert_eq!(holder(&rig).map(|h| h.0), Some(sup), "views take no lease");

    // `n` in one view: the headless supervisor nudges, once; both views show it.
    term.keys_to("one", &["n"]);
    for w in ["one", "two"] {
        term.wait_window(w, "the nudge in the view", Duration::from_secs(15), |s| {
            s.contains("nudged quiet")
        });
    }
    let nudges = ts_of(&rig.events("quiet"), "nudge");
    assert_eq!(nudges.len(), 1, "{:#?}", rig.events("quiet"));
    let log = rig.ok(&["logs", "--agent", "quiet", "--json"]);
    assert!(log.contains("nudged quiet"), "{log}");

    // A new agent in the fleet file: the view offers it, `S` declares it, and the
    // headless supervisor starts it.
    let text = std::fs::read_to_string(rig.fleet_path()).unwrap();
    std::fs::write(
        rig.fleet_path(),
        format!("{text}\n[[agent]]\nname = \"fresh\"\ncmd = \"cat\"\n"),
    )
    .unwrap();
    term.wait_window(
        "one",
        "the offer in the view",
        Duration::from_secs(10),
        |s| s.contains("new in the fleet file: fresh"),
    );
    term.keys_to("one", &["S"]);
    // Read from the store itself: any `shoal` command would declare the fleet file.
    let store = shoal::store::Store::open(&rig.db()).unwrap();
    rig.wait_for(
        Duration::from_secs(20),
        "fresh started by the holder",
        || {
            let attempts = store.attempts("fresh").ok()?;
            attempts
                .iter()
                .any(|a| a.state == shoal::fleet::LifeState::Running)
                .then_some(())
        },
    );
    assert_eq!(
        holder(&rig).map(|h| h.0),
        Some(sup),
        "started by the holder"
    );

    // The holder dies without letting go: a view takes over within the lease timeout.
    rig.kill_supervisor(sup, libc::SIGKILL);
    let t0 = Instant::now();
    let (new, mode) = rig.wait_for(Duration::from_secs(15), "a view to take over", || {
        holder(&rig).filter(|(p, _)| *p != sup)
    });
    let took = t0.elapsed();
    let mut reaper = Reaper(Some(new));
    assert_eq!(mode, "console");
    // The lease is stale after 5 s (5 polls, at least 5 s); allow the machine its load.
    assert!(took < Duration::from_secs(9), "took {took:?}");
    let here = format!("supervised here (took over from pid {sup})");
    let by = format!("supervised by pid {new} · console");
    let mut saw_here = 0;
    for w in ["one", "two"] {
        let s = term.wait_window(w, "who supervises now", Duration::from_secs(15), |s| {
            s.contains(&here) || s.contains(&by)
        });
        saw_here += usize::from(s.contains(&here));
    }
    assert_eq!(saw_here, 1, "exactly one view supervises");
    // The other view's keys reach the new holder.
    let (mine, other) = if term.screen_of("one").contains(&here) {
        ("one", "two")
    } else {
        ("two", "one")
    };
    term.keys_to(other, &["n"]);
    rig.wait_for(Duration::from_secs(15), "the second nudge", || {
        (ts_of(&rig.events("quiet"), "nudge").len() == 2).then_some(())
    });
    term.wait_window(mine, "the second nudge", Duration::from_secs(15), |s| {
        s.matches("nudged quiet").count() >= 2
    });
    reaper.0 = None;
    // Closing the views: the one supervising hands the fleet on, as a console does.
    term.keys_to(other, &["q"]);
    term.keys_to(mine, &["q"]);
    term.wait_window(mine, "the hand-off", Duration::from_secs(20), |s| {
        s.contains("console-exited")
    });
    let (last, mode) = holder(&rig).expect("supervised after the views closed");
    let _reaper = Reaper(Some(last));
    assert_eq!(mode, "detached");
    // `shoal down` stops the detached supervisor with the fleet.
    let down = rig.shoal(&["down"]);
    assert!(down.status.success(), "{down:?}");
    assert!(holder(&rig).is_none());
    rig.wait_for(
        Duration::from_secs(10),
        "the detached supervisor gone",
        || (!shoal::store::process_running(last)).then_some(()),
    );
}

#[test]
fn a_console_killed_mid_ladder_is_taken_over_by_a_view_with_no_tier_done_twice() {
    let stall = Duration::from_secs(5);
    let rig = Rig::new(
        "stall_timeout = \"5s\"\npoll_interval = \"250ms\"",
        r#"
[[agent]]
name = "mute"
cmd = "{sim} silent"
kind = "claude"
on_idle = "nudge"
"#,
    );
    rig.ok(&["up", "--no-console"]);
    let fleet_arg = rig.fleet_path().display().to_string();
    let term = Terminal::for_rig(&rig);
    term.open_window("console", &["-f", &fleet_arg]);
    let (console_pid, mode) = rig.wait_for(Duration::from_secs(20), "the console's lease", || {
        holder(&rig)
    });
    assert_eq!(mode, "console");
    term.open_window("view", &["-f", &fleet_arg]);
    term.wait_window("view", "a view", Duration::from_secs(20), |s| {
        s.contains(&format!("supervised by pid {console_pid} · console"))
    });
    rig.wait_for(Duration::from_secs(30), "the nudge", || {
        (!ts_of(&rig.events("mute"), "nudge").is_empty()).then_some(())
    });

    // No clean quit: the console dies with its embedded supervisor.
    // SAFETY: the pid of the console this test started.
    unsafe { libc::kill(console_pid as i32, libc::SIGKILL) };
    let t0 = Instant::now();
    let (new, mode) = rig.wait_for(Duration::from_secs(15), "the view to take over", || {
        holder(&rig).filter(|(p, _)| *p != console_pid)
    });
    let took = t0.elapsed();
    let _reaper = Reaper(Some(new));
    assert_eq!(mode, "console", "the view supervises now");
    assert!(took < Duration::from_secs(9), "took {took:?}");
    term.wait_window("view", "the take-over", Duration::from_secs(15), |s| {
        s.contains(&format!(
            "supervised here (took over from pid {console_pid})"
        ))
    });

    // The ladder goes on from the recorded progress: each tier once, on time.
    let events = rig.wait_for(Duration::from_secs(40), "the kill", || {
        let e = rig.events("mute");
        (!ts_of(&e, "kill").is_empty()).then_some(e)
    });
    let (nudge, warn, kill) = (
        ts_of(&events, "nudge"),
        ts_of(&events, "warn"),
        ts_of(&events, "kill"),
    );
    assert_eq!(
        (nudge.len(), warn.len(), kill.len()),
        (1, 1, 1),
        "each tier once: {events:#?}"
    );
    let gap = Duration::from_millis(u64::try_from(kill[0] - nudge[0]).unwrap_or(0));
    assert!(
        gap >= 2 * stall - Duration::from_millis(300) && gap <= 2 * stall + Duration::from_secs(9),
        "the kill came {gap:?} after the nudge (stall timeout {stall:?}, take-over {took:?})"
    );
    assert_eq!(rig.agent("mute")["state"], "killed");
    assert_eq!(
        ts_of(&rig.events("mute"), "start").len(),
        1,
        "never relaunched"
    );
}
