//! Supervisor behaviour with a scripted tmux server and a fake clock.

use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::{file, Activity, LifeState, Tier};
use crate::store::Store;
use std::path::Path;

const T0: i64 = 1_000_000;
const STALL: i64 = 1000;

struct Rig {
    _dir: tempfile::TempDir,
    tmux: FakeTmux,
    sup: Supervisor,
    fleet: crate::fleet::Fleet,
}

fn fleet_text(extra: &str) -> String {
    format!(
        r#"[fleet]
name = "t"
stall_timeout = "1s"
nudge_message = "NUDGE"
cancel_grace = "2s"
{extra}
[[agent]]
name = "a"
cmd = "agent-a"
[[agent]]
name = "b"
cmd = "agent-b"
parent = "a"
"#
    )
}

fn rig_with(text: &str) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let fleet = file::parse(Path::new("t.toml"), text).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let (settings, home) = (fleet.settings.clone(), dir.path().to_path_buf());
    let sup = Supervisor::new(
        settings,
        home,
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap();
    Rig {
        _dir: dir,
        tmux,
        sup,
        fleet,
    }
}

fn rig() -> Rig {
    rig_with(&fleet_text(""))
}

impl Rig {
    fn reopen(self) -> Rig {
        let Rig {
            _dir,
            tmux,
            sup,
            fleet,
        } = self;
        let path = sup.store().path().to_path_buf();
        drop(sup);
        let (settings, home) = (fleet.settings.clone(), _dir.path().to_path_buf());
        let store = Store::open(&path).unwrap();
        let sup = Supervisor::new(
            settings,
            home,
            store,
            Box::new(FakeDetector),
            tmux.connector(),
        )
        .unwrap();
        Rig {
            _dir,
            tmux,
            sup,
            fleet,
        }
    }

    fn agent(&self, name: &str) -> crate::fleet::AgentView {
        self.sup.snapshot(0).agent(name).cloned().unwrap()
    }

    fn events(&self, name: &str) -> Vec<String> {
        self.sup
            .store()
            .events(Some(name), 0, 1000)
            .unwrap()
            .into_iter()
            .map(|e| e.kind)
            .collect()
    }

    /// Tick at `t`, after letting `working` agents print something new.
    fn tick(&mut self, t: i64, working: &[&str]) {
        for name in working.iter().filter(|n| self.tmux.has_pane(n)) {
            self.tmux.show(name, &format!("output at {t}"), t / 1000);
        }
        self.sup.tick(t);
    }
}

#[test]
fn queued_agents_start_with_their_environment() {
    let mut r = rig();
    r.sup.tick(T0);
    let a = r.agent("a");
    assert_eq!(a.state, LifeState::Running, "no task: running once seen");
    assert_eq!(a.attempt, 1);
    assert_eq!(a.server.as_deref(), Some("shoal-t"));
    let spec = r.tmux.with_pane("b", |p| p.spec.clone().unwrap());
    assert_eq!(spec.cmd, "agent-b");
    assert!(spec.env.contains(&("SHOAL_AGENT".into(), "b".into())));
    assert!(spec.env.contains(&("SHOAL_FLEET".into(), "t".into())));
    assert!(spec.env.iter().any(|(k, _)| k == "SHOAL_HOME"));
    assert_eq!(
        r.events("a"),
        ["start", "activity"],
        "first sight is an activity event"
    );
}

#[test]
fn a_working_agent_stays_ok() {
    let mut r = rig();
    for n in 0..20 {
        r.tick(T0 + n * 400, &["a", "b"]);
    }
    for name in ["a", "b"] {
        let v = r.agent(name);
        assert_eq!((v.tier, v.state), (Tier::Ok, LifeState::Running), "{name}");
    }
    assert!(
        r.tmux.with_pane("a", |p| p.typed.is_empty()),
        "never nudged"
    );
}

#[test]
fn a_server_polled_in_its_fallback_mode_is_said_in_the_snapshot_until_it_recovers() {
    let mut r = rig();
    r.tick(T0, &["a", "b"]);
    assert!(r.sup.snapshot(T0).stats.degraded.is_empty());
    let why = "one-shot commands for 60s more after 3 control-client failures within 600s";
    r.tmux
        .servers
        .lock()
        .unwrap()
        .get_mut("shoal-t")
        .unwrap()
        .degraded = Some(why.into());
    r.tick(T0 + 400, &["a", "b"]);
    assert_eq!(
        r.sup.snapshot(T0 + 400).stats.degraded,
        [format!("shoal-t: {why}")]
    );
    assert!(r.sup.take_changed(), "the header's news is published");
    r.tmux
        .servers
        .lock()
        .unwrap()
        .get_mut("shoal-t")
        .unwrap()
        .degraded = None;
    r.tick(T0 + 800, &["a", "b"]);
    assert!(r.sup.snapshot(T0 + 800).stats.degraded.is_empty());
}

#[test]
fn a_silent_agent_walks_nudge_warn_kill_at_one_two_three_timeouts() {
    let mut r = rig();
    r.tick(T0, &["b"]);
    r.tick(T0 + 500, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Ok);
    r.tick(T0 + STALL, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Nudge);
    assert_eq!(r.tmux.with_pane("a", |p| p.typed.clone()), ["NUDGE"]);
    assert_eq!(r.tmux.with_pane("a", |p| p.keys.clone()), ["Enter"]);
    // The echo of the nudge lands on the screen: that is not progress.
    r.tick(T0 + STALL + 300, &["b"]);
    assert_eq!(
        r.agent("a").tier,
        Tier::Nudge,
        "own typing is not proof of life"
    );
    r.tick(T0 + 2 * STALL - 1, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Nudge);
    r.tick(T0 + 2 * STALL, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Warn);
    assert_eq!(r.agent("a").next_action_at_ms, Some(T0 + 3 * STALL));
    r.tmux.show("a", "last words", (T0 + 2 * STALL) / 1000 - 5);
    r.tick(T0 + 3 * STALL, &["b"]);
    let a = r.agent("a");
    assert_eq!((a.tier, a.state), (Tier::Kill, LifeState::Killed));
    assert_eq!(
        r.events("a"),
        ["start", "activity", "nudge", "warn", "kill"]
    );
    let events = r.sup.store().recent_events("a", 1, 50).unwrap();
    assert_eq!(
        crate::fleet::ending::words(&a, events.iter()),
        "killed (stalled 3×)"
    );
    // The pane is gone and its last screen is kept as the death snapshot.
    assert_eq!(r.tmux.pane_count(), 1);
    let att = &r.sup.store().attempts("a").unwrap()[0];
    let death = r
        .sup
        .store()
        .capture(att.death_capture.unwrap())
        .unwrap()
        .unwrap();
    assert!(death.contains("last words"), "{death:?}");
    // The busy sibling never left ok, and each tier fired once.
    assert_eq!(r.agent("b").tier, Tier::Ok);
    r.tick(T0 + 10 * STALL, &["b"]);
    assert_eq!(r.events("a").len(), 5);
}

#[test]
fn a_spinner_over_a_hung_stream_is_not_life() {
    let mut r = rig();
    r.sup.tick(T0 - 1);
    for n in 0..=10 {
        let t = T0 + n * 100;
        r.tmux
            .show("a", &format!("work so far\nSPIN frame {n}"), t / 1000);
        r.sup.tick(t);
    }
    let a = r.agent("a");
    assert_eq!(
        a.tier,
        Tier::Nudge,
        "spinner frames do not reset the stall clock"
    );
    assert_eq!(a.activity, Activity::Working);
}

#[test]
fn needs_input_holds_the_ladder_and_approve_sends_the_profile_keys() {
    let mut r = rig();
    r.tick(T0, &[]);
    r.tmux.show("a", "Run it? ASK?", T0 / 1000);
    r.sup.tick(T0 + 100);
    assert_eq!(r.agent("a").activity, Activity::NeedsInput);
    assert_eq!(
        r.agent("a").next_action_at_ms,
        None,
        "no countdown while waiting"
    );
    for n in 1..=10 {
        r.tick(T0 + n * STALL, &["b"]);
    }
    let a = r.agent("a");
    assert_eq!(
        (a.tier, a.state),
        (Tier::Ok, LifeState::Running),
        "never nudged or killed"
    );
    assert!(r.tmux.with_pane("a", |p| p.typed.is_empty()));
    // Approve is refused for an agent that is not waiting.
    let refused = r
        .sup
        .execute(&Command::Approve { agent: "b".into() }, T0 + 11 * STALL);
    assert!(refused.unwrap_err().contains("not waiting for input"));
    assert!(r.tmux.with_pane("b", |p| p.keys.is_empty()));
    let ok = r
        .sup
        .execute(&Command::Approve { agent: "a".into() }, T0 + 11 * STALL);
    assert_eq!(ok, Ok("sent Enter to a".into()));
    assert_eq!(r.tmux.with_pane("a", |p| p.keys.clone()), ["Enter"]);
    assert!(r.events("a").contains(&"approve".to_string()));
    assert!(r.events("b").contains(&"refused".to_string()));
}

#[test]
fn activity_changes_are_events_with_their_rule_and_capture() {
    let mut r = rig();
    r.tick(T0, &[]);
    r.tmux.show("a", "line\nIDLE>", T0 / 1000);
    r.sup.tick(T0 + 100);
    let evs = r.sup.store().events(Some("a"), 0, 100).unwrap();
    let act = evs.iter().rfind(|e| e.kind == "activity").unwrap();
    assert_eq!(act.detail, "working → idle");
    assert_eq!(act.rule.as_deref(), Some("fake rule on \"IDLE>\""));
    let cap = r.sup.store().event_capture_id(act.id).unwrap().unwrap();
    assert_eq!(
        r.sup.store().capture(cap).unwrap().as_deref(),
        Some("line\nIDLE>")
    );
}

#[test]
fn a_dead_pane_is_done_or_failed_within_one_tick_with_a_death_snapshot() {
    let mut r = rig();
    r.tick(T0, &["a", "b"]);
    r.tmux.with_pane("a", |p| {
        p.screen = "boom\nPane is dead (status 3)".into();
        p.dead = true;
        p.status = Some(3);
    });
    r.tmux.with_pane("b", |p| {
        p.dead = true;
        p.status = Some(0);
    });
    r.sup.tick(T0 + 100);
    let a = r.agent("a");
    assert_eq!(
        (a.state, a.exit_status, a.activity),
        (LifeState::Failed, Some(3), Activity::Exited)
    );
    assert_eq!(r.agent("b").state, LifeState::Done);
    let att = &r.sup.store().attempts("a").unwrap()[0];
    let snap = r
        .sup
        .store()
        .capture(att.death_capture.unwrap())
        .unwrap()
        .unwrap();
    assert!(snap.contains("boom"));
    let exit = r
        .sup
        .store()
        .events(Some("a"), 0, 100)
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "exit")
        .unwrap();
    assert!(
        exit.detail.contains("status 3") && exit.has_capture,
        "{exit:?}"
    );
}

#[test]
fn retry_starts_attempt_two_and_keeps_attempt_one() {
    let mut r = rig();
    r.tick(T0, &["a"]);
    let running = r.sup.execute(&Command::Retry { agent: "a".into() }, T0 + 1);
    assert!(running.unwrap_err().contains("still running"));
    r.tmux.with_pane("a", |p| {
        p.dead = true;
        p.status = Some(1);
    });
    r.sup.tick(T0 + 100);
    let out = r
        .sup
        .execute(&Command::Retry { agent: "a".into() }, T0 + 200)
        .unwrap();
    assert!(out.contains("attempt 2"), "{out}");
    r.sup.tick(T0 + 300);
    let a = r.agent("a");
    assert_eq!((a.attempt, a.state), (2, LifeState::Running));
    let history = r.sup.store().attempts("a").unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].state, LifeState::Failed);
    assert_eq!(
        r.tmux.with_pane("a", |p| p.spec.clone().unwrap().attempt),
        2
    );
}

#[test]
fn cancel_interrupts_then_kills_after_the_grace_period() {
    let mut r = rig();
    r.tick(T0, &["a"]);
    let out = r
        .sup
        .execute(&Command::Cancel { agent: "a".into() }, T0 + 10)
        .unwrap();
    assert!(out.contains("C-c"), "{out}");
    assert_eq!(r.tmux.with_pane("a", |p| p.keys.clone()), ["C-c"]);
    r.sup.tick(T0 + 1500);
    assert_eq!(r.agent("a").state, LifeState::Running, "still within grace");
    assert_eq!(r.agent("a").tier, Tier::Ok, "no ladder during a cancel");
    r.sup.tick(T0 + 2010);
    assert_eq!(r.agent("a").state, LifeState::Cancelled);
    assert_eq!(r.tmux.pane_count(), 1, "pane killed");
}

#[test]
fn an_agent_that_exits_during_a_cancel_ends_cancelled() {
    let mut r = rig();
    r.tick(T0, &["a"]);
    r.sup
        .execute(&Command::Cancel { agent: "a".into() }, T0 + 10)
        .unwrap();
    r.tmux.with_pane("a", |p| {
        p.dead = true;
        p.status = Some(130);
    });
    r.sup.tick(T0 + 500);
    assert_eq!(r.agent("a").state, LifeState::Cancelled);
}

#[test]
fn a_restarted_supervisor_resumes_without_relaunching_or_renudging() {
    let mut r = rig();
    r.tick(T0, &["b"]);
    r.tick(T0 + STALL, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Nudge);
    let panes_before = r.tmux.pane_count();
    let mut r = r.reopen();
    r.tick(T0 + STALL + 500, &["b"]);
    let a = r.agent("a");
    assert_eq!(
        (a.attempt, a.tier),
        (1, Tier::Nudge),
        "same attempt, tier kept"
    );
    assert_eq!(r.tmux.pane_count(), panes_before, "nothing relaunched");
    assert_eq!(
        r.tmux.with_pane("a", |p| p.typed.len()),
        1,
        "no repeat nudge"
    );
    // The stall clock continued from the recorded progress: warn comes at 2×.
    r.tick(T0 + 2 * STALL, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Warn);
}

#[test]
fn paused_agents_are_not_escalated() {
    let mut r = rig();
    r.tick(T0, &[]);
    r.sup
        .execute(
            &Command::Pause {
                agent: "a".into(),
                paused: true,
            },
            T0,
        )
        .unwrap();
    for n in 1..=5 {
        r.sup.tick(T0 + n * STALL);
    }
    assert_eq!(r.agent("a").tier, Tier::Ok);
    assert!(r.agent("a").paused);
    assert_eq!(
        r.agent("b").state,
        LifeState::Killed,
        "the other one was not paused"
    );
    r.sup
        .execute(
            &Command::Pause {
                agent: "a".into(),
                paused: false,
            },
            T0 + 5 * STALL,
        )
        .unwrap();
    r.sup.tick(T0 + 6 * STALL);
    assert_eq!(r.agent("a").tier, Tier::Nudge, "clock restarted at resume");
}

#[test]
fn the_task_is_typed_once_the_agent_is_idle() {
    let text = r#"[fleet]
name = "t"
[[agent]]
name = "a"
cmd = "agent"
task = "Build the thing"
"#;
    let mut r = rig_with(text);
    r.tmux.connector()(&"shoal-t".into(), true).unwrap();
    r.sup.tick(T0);
    assert_eq!(r.agent("a").state, LifeState::Starting);
    r.tmux.show("a", "banner\nIDLE>", T0 / 1000);
    r.sup.tick(T0 + 100);
    assert_eq!(r.agent("a").state, LifeState::Running);
    assert_eq!(
        r.tmux.with_pane("a", |p| p.typed.clone()),
        ["Build the thing"]
    );
    r.sup.tick(T0 + 200);
    assert_eq!(r.tmux.with_pane("a", |p| p.typed.len()), 1, "typed once");
}

#[test]
fn an_errored_agent_waits_for_its_reset_time_then_is_resumed() {
    let mut r = rig_with(&fleet_text("resume_after_reset = true"));
    r.tick(T0, &["b"]);
    let reset = T0 + 5 * STALL;
    r.tmux
        .show("a", &format!("oops\nERR429 reset={reset}"), T0 / 1000);
    r.tick(T0 + 100, &["b"]);
    assert_eq!(r.agent("a").activity, Activity::Errored);
    r.tick(T0 + 4 * STALL, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Ok, "held until the reset time");
    assert!(r.tmux.with_pane("a", |p| p.typed.is_empty()));
    r.tick(reset + 1, &["b"]);
    assert_eq!(r.tmux.with_pane("a", |p| p.typed.clone()), ["continue"]);
    assert!(r.events("a").contains(&"resume".to_string()));
}

#[test]
fn unknown_agents_are_named_with_the_known_ones() {
    let mut r = rig();
    let e = r
        .sup
        .execute(
            &Command::Kill {
                agent: "zed".into(),
            },
            T0,
        )
        .unwrap_err();
    assert!(
        e.contains("no agent named \"zed\"") && e.contains("a, b"),
        "{e}"
    );
}

#[test]
fn a_large_fleet_is_spread_over_several_tmux_servers() {
    let mut text = String::from("[fleet]\nname = \"big\"\nagents_per_server = 2\n");
    for n in 0..5 {
        text.push_str(&format!("[[agent]]\nname = \"w{n}\"\ncmd = \"x\"\n"));
    }
    let mut r = rig_with(&text);
    r.sup.tick(T0);
    let servers: Vec<_> = (0..5)
        .map(|n| r.agent(&format!("w{n}")).server.unwrap())
        .collect();
    assert_eq!(
        servers,
        [
            "shoal-big",
            "shoal-big",
            "shoal-big-2",
            "shoal-big-2",
            "shoal-big-3"
        ]
    );
    let snap = r.sup.snapshot(T0);
    assert_eq!(snap.stats.servers, 3);
    assert_eq!(r.fleet.agents.len(), 5);
}

#[test]
fn only_active_panes_are_captured_between_round_robin_passes() {
    let mut text = String::from("[fleet]\nname = \"q\"\nstall_timeout = \"1h\"\n");
    for n in 0..30 {
        text.push_str(&format!("[[agent]]\nname = \"w{n}\"\ncmd = \"x\"\n"));
    }
    let mut r = rig_with(&text);
    r.sup.tick(T0); // start
    r.sup.tick(T0 + 1000); // first capture of everyone
    let before = r.tmux.servers.lock().unwrap()["shoal-q"].captures;
    // Ten ticks later, with only w3 printing, only w3 plus about one round-robin pane a tick.
    for n in 2..12 {
        r.tmux
            .show("w3", &format!("out {n}"), (T0 + n * 1000) / 1000);
        r.sup.tick(T0 + n * 1000);
    }
    let captured = r.tmux.servers.lock().unwrap()["shoal-q"].captures - before;
    assert!(
        (10..=25).contains(&captured),
        "captured {captured} panes in 10 ticks"
    );
    assert!(r.agent("w3").last_progress_ms >= T0 + 11_000);
}

#[test]
fn a_switched_off_tier_is_skipped_and_kill_off_stops_at_warn() {
    let mut r = rig();
    let mut s = r.sup.settings().clone();
    s.escalation = crate::fleet::Escalation {
        nudge: false,
        warn: true,
        kill: false,
    };
    r.sup.apply(Update::Settings(s), T0);
    r.tick(T0, &["b"]);
    r.tick(T0 + STALL, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Ok, "nudge is off: nothing at 1×");
    assert!(
        r.tmux.with_pane("a", |p| p.typed.is_empty()),
        "nothing typed"
    );
    assert_eq!(
        r.agent("a").next_action_at_ms,
        Some(T0 + 2 * STALL),
        "countdown to warn"
    );
    r.tick(T0 + 2 * STALL, &["b"]);
    assert_eq!(r.agent("a").tier, Tier::Warn);
    assert_eq!(
        r.agent("a").next_action_at_ms,
        None,
        "kill is off: nothing after warn"
    );
    r.tick(T0 + 10 * STALL, &["b"]);
    let a = r.agent("a");
    assert_eq!(
        (a.tier, a.state),
        (Tier::Warn, LifeState::Running),
        "never killed"
    );
    assert_eq!(r.events("a"), ["start", "activity", "warn"]);
}

#[test]
fn reloaded_settings_apply_at_once_and_are_recorded() {
    let mut r = rig();
    r.tick(T0, &["b"]);
    let mut s = r.sup.settings().clone();
    s.nudge_message = "WAKE UP".into();
    s.escalation.kill = false;
    r.sup.apply(Update::Settings(s.clone()), T0 + 1);
    r.tick(T0 + STALL, &["b"]);
    assert_eq!(r.tmux.with_pane("a", |p| p.typed.clone()), ["WAKE UP"]);
    let fleet_events = r.sup.store().events(None, 0, 100).unwrap();
    let config = fleet_events.iter().find(|e| e.kind == "config").unwrap();
    assert_eq!(config.agent, None);
    assert!(
        config.detail.contains("nudge_message changed")
            && config.detail.contains("escalation kill off"),
        "{}",
        config.detail
    );
    // The same settings again change nothing and record nothing.
    r.sup.apply(Update::Settings(s), T0 + STALL + 1);
    let n = r
        .sup
        .store()
        .events(None, 0, 100)
        .unwrap()
        .iter()
        .filter(|e| e.kind == "config")
        .count();
    assert_eq!(n, 1);
}

#[test]
fn a_changed_fleet_file_updates_known_agents_and_starts_only_the_accepted_new_ones() {
    let mut r = rig();
    r.tick(T0, &["a", "b"]);
    let text = fleet_text("").replace("name = \"b\"\ncmd = \"agent-b\"", "name = \"b\"\ncmd = \"agent-b\"\nstall_timeout = \"7s\"")
        + "[[agent]]\nname = \"c\"\ncmd = \"agent-c\"\n[[agent]]\nname = \"d\"\ncmd = \"agent-d\"\n";
    let fleet = file::parse(Path::new("t.toml"), &text).unwrap();
    r.sup.apply(
        Update::Fleet {
            fleet: fleet.clone(),
            start: Vec::new(),
        },
        T0 + 10,
    );
    r.tick(T0 + 100, &["a", "b"]);
    assert_eq!(r.agent("b").stall_timeout_ms, 7000, "known agent updated");
    assert!(
        r.sup.snapshot(0).agent("c").is_none(),
        "new agents wait for the operator"
    );
    r.sup.apply(
        Update::Fleet {
            fleet,
            start: vec!["c".into()],
        },
        T0 + 200,
    );
    r.tick(T0 + 300, &["a", "b"]);
    assert_eq!(r.agent("c").state, LifeState::Running);
    assert!(r.tmux.has_pane("c"));
    assert!(
        r.sup.snapshot(0).agent("d").is_none(),
        "only the accepted one"
    );
    let details: Vec<String> = r
        .sup
        .store()
        .events(None, 0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d == "fleet file reloaded; starting c"),
        "{details:?}"
    );
}

#[test]
fn old_history_is_deleted_past_the_retention_but_final_screens_stay() {
    let mut r = rig();
    let mut s = r.sup.settings().clone();
    s.log_retention = Some(std::time::Duration::from_secs(3600));
    r.sup.apply(Update::Settings(s), T0);
    r.tick(T0, &["b"]);
    r.tmux.with_pane("a", |p| {
        p.dead = true;
        p.status = Some(1);
    });
    r.tick(T0 + 100, &["b"]);
    let death = r.sup.store().attempts("a").unwrap()[0]
        .death_capture
        .unwrap();
    assert!(!r.events("a").is_empty());
    // Two hours later the old events are gone; the final screen of attempt 1 is kept.
    let later = T0 + 2 * 3600 * 1000;
    r.tick(later, &["b"]);
    assert!(r.events("a").is_empty(), "{:?}", r.events("a"));
    assert!(r.sup.store().capture(death).unwrap().is_some());
    // The log entries of that time went with them.
    let q = crate::logs::LogQuery {
        agents: vec!["a".into()],
        until_ms: Some(T0 + 1000),
        ..Default::default()
    };
    let page = r.sup.store().query_logs(&q).unwrap();
    assert_eq!(page.total_count, 0, "{:?}", page.entries);
}

#[test]
fn a_supervisor_in_a_new_process_keeps_the_final_screen_of_a_pane_that_dies_unchanged() {
    let mut r = rig();
    r.tick(T0, &[]);
    r.tmux.show("a", "crash-screen", T0 / 1000);
    r.sup.tick(T0 + 100);
    // Another process (a CLI command, a restarted supervisor) opens the fleet: the
    // screen's digest comes from the store, the screen itself does not.
    let mut r = r.reopen();
    r.tmux.with_pane("a", |p| {
        p.dead = true;
        p.status = Some(3);
    });
    r.sup.tick(T0 + 200);
    let att = &r.sup.store().attempts("a").unwrap()[0];
    assert_eq!(att.state, LifeState::Failed);
    let death = r
        .sup
        .store()
        .capture(att.death_capture.unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(death, "crash-screen", "the final screen, not an empty one");
}

#[test]
fn a_tick_that_changes_nothing_asks_for_no_snapshot() {
    let mut r = rig();
    r.tick(T0, &[]);
    assert!(r.sup.take_changed(), "starting agents is a change");
    r.tick(T0 + 100, &[]);
    r.sup.take_changed();
    // Quiet panes, unchanged screens, nothing due on the ladder.
    r.tick(T0 + 200, &[]);
    assert!(!r.sup.take_changed(), "nothing changed, nothing to publish");
    // New output is a change.
    r.tick(T0 + 300, &["a"]);
    assert!(r.sup.take_changed());
}

/// A second supervisor on the same store and the same panes.
fn second(r: &Rig) -> Supervisor {
    let store = Store::open(r.sup.store().path()).unwrap();
    Supervisor::new(
        r.fleet.settings.clone(),
        r.sup.home.clone(),
        store,
        Box::new(FakeDetector),
        r.tmux.connector(),
    )
    .unwrap()
}

#[test]
fn a_supervisor_whose_lease_was_taken_over_acts_no_more_not_even_in_the_same_tick() {
    let mut r = rig();
    let me = std::process::id();
    let lease = r.sup.store().try_lease(me, T0, 5000).unwrap().unwrap();
    r.sup.hold_lease(lease);
    r.tick(T0, &["b"]);
    // This supervisor stalls past the lease's staleness; another takes over.
    let mut other = second(&r);
    let theirs = other
        .store()
        .try_lease(me + 1, T0 + 10 * STALL, 5000)
        .unwrap()
        .unwrap();
    other.hold_lease(theirs);
    // Back from the stall, a nudge is due: it must not be typed, nothing is written.
    let events_before = r.sup.store().events(None, 0, 1000).unwrap().len();
    r.tick(T0 + STALL, &["b"]);
    assert!(
        r.tmux.with_pane("a", |p| p.typed.is_empty()),
        "no nudge from the fenced supervisor"
    );
    let why = r.sup.must_stop().expect("it knows it lost the lease");
    assert!(why.contains(&format!("pid {}", me + 1)), "{why}");
    assert_eq!(
        r.sup.store().events(None, 0, 1000).unwrap().len(),
        events_before,
        "nothing written"
    );
    let refused = r
        .sup
        .execute(&Command::Nudge { agent: "a".into() }, T0 + STALL + 1)
        .unwrap_err();
    assert!(refused.contains("lost the lease"), "{refused}");
    assert!(r.tmux.with_pane("a", |p| p.typed.is_empty()));
    // The holder acts: exactly one nudge.
    other.tick(T0 + STALL + 10);
    assert_eq!(r.tmux.with_pane("a", |p| p.typed.clone()), ["NUDGE"]);
}

#[test]
fn a_kill_tier_recorded_before_a_crash_is_finished_by_the_next_supervisor() {
    let mut r = rig();
    r.tick(T0, &["b"]);
    // What a supervisor that died between recording the kill tier and killing leaves.
    let mut att = r
        .sup
        .store()
        .current_attempts()
        .unwrap()
        .into_iter()
        .find(|a| a.agent == "a")
        .unwrap();
    att.tier = Tier::Kill;
    r.sup.store().save_attempt(&att).unwrap();
    let mut r = r.reopen();
    r.tick(T0 + 100, &["b"]);
    let a = r.agent("a");
    assert_eq!(a.state, LifeState::Killed, "the kill is carried out");
    assert_eq!(
        r.events("a").iter().filter(|k| *k == "kill").count(),
        1,
        "{:?}",
        r.events("a")
    );
}

#[test]
fn the_tier_is_on_record_before_the_nudge_is_typed() {
    let mut r = rig();
    r.tick(T0, &["b"]);
    let path = r.sup.store().path().to_path_buf();
    r.tmux.with_pane("a", |p| p.watch_store = Some(path));
    r.tick(T0 + STALL, &["b"]);
    assert_eq!(r.tmux.with_pane("a", |p| p.typed.clone()), ["NUDGE"]);
    // A supervisor killed right after typing leaves the nudge tier on record, so the
    // next one does not nudge again.
    assert_eq!(
        r.tmux
            .with_pane("a", |p| p.tier_on_record_when_typed.clone()),
        ["nudge"]
    );
}

#[test]
fn a_store_deleted_under_the_supervisor_stops_it_loudly() {
    let mut r = rig();
    r.tick(T0, &["a", "b"]);
    let path = r.sup.store().path().to_path_buf();
    std::fs::rename(&path, path.with_extension("moved")).unwrap();
    r.tick(T0 + STALL, &[]);
    let why = r.sup.must_stop().expect("it stops");
    assert!(why.contains("deleted or moved"), "{why}");
    assert_eq!(r.sup.snapshot(T0).stats.error.as_deref(), Some(why));
    assert!(
        r.tmux.with_pane("a", |p| p.typed.is_empty()),
        "nothing is done once the store is gone"
    );
    // A file put in its place is not the store it opened either.
    std::fs::write(&path, b"").unwrap();
    let mut r2 = rig();
    let p2 = r2.sup.store().path().to_path_buf();
    std::fs::remove_file(&p2).unwrap();
    std::fs::write(&p2, b"").unwrap();
    r2.tick(T0, &[]);
    assert!(r2
        .sup
        .must_stop()
        .unwrap()
        .contains("another file took its place"));
}

#[test]
fn an_agent_that_cannot_start_fails_once_with_the_reason_and_is_not_retried_every_tick() {
    let mut r = rig_with(&fleet_text("").replace("agent-b", "cannot-start"));
    for n in 0..5 {
        r.tick(T0 + n * 1000, &[]);
    }
    let b = r.agent("b");
    assert_eq!(b.state, LifeState::Failed);
    assert_eq!(b.attempt, 1);
    assert!(
        b.reason.as_deref().unwrap().contains("cannot be started"),
        "{:?}",
        b.reason
    );
    assert_eq!(r.events("b"), ["error"], "one failure, recorded once");
    // Retry tries again, as attempt 2, and fails the same way, once.
    let e = r
        .sup
        .execute(&Command::Retry { agent: "b".into() }, T0 + 9000)
        .unwrap_err();
    assert!(e.contains("cannot be started"), "{e}");
    assert_eq!(r.agent("b").attempt, 2);
    r.tick(T0 + 10_000, &[]);
    assert_eq!(r.events("b"), ["error", "error", "refused"]);
}
