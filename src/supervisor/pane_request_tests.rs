//! Requests from panes on another host, with a scripted tmux: each is carried out once,
//! as the agent whose pane it is, and a pane cannot speak for another.

use super::testkit::{FakeDetector, FakeTmux};
use super::*;
use crate::fleet::pane_request::{encode_line, REPLY_PREFIX, REQUEST_OPTION, TOKEN_ENV};
use crate::fleet::{file, LifeState};
use crate::store::Store;
use std::path::Path;

const T0: i64 = 1_000_000;

const FLEET: &str = r#"[fleet]
name = "t"

[[host]]
name = "gpu1"
ssh = "me@gpu1.example"

[[agent]]
name = "lead"
cmd = "agent-lead"
host = "gpu1"

[[agent]]
name = "other"
cmd = "agent-other"
host = "gpu1"
"#;

struct Rig {
    _dir: tempfile::TempDir,
    tmux: FakeTmux,
    sup: Supervisor,
}

fn rig() -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let fleet = file::parse(Path::new("t.toml"), FLEET).unwrap();
    let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
    declare(&store, &fleet, &FakeDetector, T0).unwrap();
    let tmux = FakeTmux::default();
    let mut sup = Supervisor::new(
        fleet.settings.clone(),
        dir.path().to_path_buf(),
        store,
        Box::new(FakeDetector),
        tmux.connector(),
    )
    .unwrap();
    // The shim counts as installed: no ssh runs in a unit test.
    sup.requests.installed.insert(
        "gpu1".into(),
        ("/home/me/.shoal/bin".into(), "/usr/bin:/bin".into()),
    );
    sup.tick(T0);
    Rig {
        _dir: dir,
        tmux,
        sup,
    }
}

impl Rig {
    fn env(&self, agent: &str, key: &str) -> Option<String> {
        self.tmux.with_pane(agent, |p| {
            let spec = p.spec.as_ref().unwrap();
            spec.env
                .iter()
                .rev()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        })
    }

    /// `in_pane` appends a request line with `token` to its own `@shoal_req`.
    fn ask(&self, in_pane: &str, token: &str, id: &str, args: &[&str]) {
        let args: Vec<String> = args.iter().map(|s| (*s).to_string()).collect();
        let line = encode_line(token, id, &args) + "\n";
        self.tmux.with_pane(in_pane, |p| {
            p.options
                .entry(REQUEST_OPTION.to_string())
                .or_default()
                .push_str(&line);
        });
    }

    fn answer(&self, in_pane: &str, id: &str) -> Option<String> {
        self.tmux.with_pane(in_pane, |p| {
            p.options.get(&format!("{REPLY_PREFIX}{id}")).cloned()
        })
    }

    fn details(&self, agent: &str) -> Vec<String> {
        self.sup
            .store()
            .events(Some(agent), 0, 1000)
            .unwrap()
            .into_iter()
            .map(|e| format!("{} {}", e.kind, e.detail))
            .collect()
    }
}

#[test]
fn a_remote_pane_gets_its_token_and_the_shim_first_on_its_path() {
    let r = rig();
    let lead = r.env("lead", TOKEN_ENV).unwrap();
    let other = r.env("other", TOKEN_ENV).unwrap();
    assert_eq!(lead.len(), 32);
    assert_ne!(lead, other, "two attempts share a token");
    assert_eq!(
        r.env("lead", "PATH").as_deref(),
        Some("/home/me/.shoal/bin:/usr/bin:/bin")
    );
}

#[test]
fn a_signal_is_carried_out_once_and_answered_in_the_pane() {
    let mut r = rig();
    let token = r.env("lead", TOKEN_ENV).unwrap();
    r.ask("lead", &token, "1", &["signal", "progress", "half", "way"]);
    r.sup.tick(T0 + 1_000);
    assert_eq!(
        r.answer("lead", "1").as_deref(),
        Some("ok\nsignalled progress: half way")
    );
    let queued = r
        .tmux
        .with_pane("lead", |p| p.options.get(REQUEST_OPTION).cloned());
    assert_eq!(queued, None, "the request was left in the pane");
    r.sup.tick(T0 + 2_000);
    r.sup.tick(T0 + 3_000);
    let signals = r
        .details("lead")
        .into_iter()
        .filter(|d| d.starts_with("signal "))
        .count();
    assert_eq!(signals, 1, "{:?}", r.details("lead"));
    // A minute later the answer nobody picked up is gone.
    r.sup.tick(T0 + 62_000);
    assert_eq!(r.answer("lead", "1"), None);
}

#[test]
fn a_pane_cannot_speak_for_another_pane() {
    let mut r = rig();
    // `other` knows its own token and writes into lead's pane options.
    let other = r.env("other", TOKEN_ENV).unwrap();
    r.ask("lead", &other, "7", &["signal", "done", "not", "me"]);
    r.ask("lead", "guess", "8", &["signal", "failed", "x"]);
    r.sup.tick(T0 + 1_000);
    let lead = r.sup.snapshot(T0 + 1_000).agent("lead").cloned().unwrap();
    assert_eq!(lead.state, LifeState::Running, "{lead:?}");
    let said = r.details("lead").join("\n");
    assert!(!said.contains("signal "), "{said}");
    assert_eq!(
        said.matches("refused request from pane").count(),
        2,
        "{said}"
    );
    assert!(said.contains("this attempt's token"), "{said}");
    assert!(r.answer("lead", "7").unwrap().starts_with("error\n"));
}

#[test]
fn a_remote_spawn_lands_in_the_callers_subtree_on_its_host() {
    let mut r = rig();
    let token = r.env("lead", TOKEN_ENV).unwrap();
    r.ask(
        "lead",
        &token,
        "2",
        &["spawn", "helper", "--cwd", "/srv/w", "--", "agent-helper"],
    );
    r.ask(
        "lead",
        &token,
        "3",
        &[
            "spawn", "stray", "--parent", "other", "--cwd", "/srv", "--", "x",
        ],
    );
    r.ask(
        "lead",
        &token,
        "4",
        &["spawn", "rel", "--cwd", "srv", "--", "x"],
    );
    r.sup.tick(T0 + 1_000);
    assert_eq!(
        r.answer("lead", "2").as_deref(),
        Some("ok\nspawned helper (shell) as a child of lead on host gpu1")
    );
    let stray = r.answer("lead", "3").unwrap();
    assert!(stray.contains("only spawn into its own subtree"), "{stray}");
    let rel = r.answer("lead", "4").unwrap();
    assert!(rel.contains("not an absolute path"), "{rel}");
    r.sup.tick(T0 + 2_000);
    let helper = r.sup.snapshot(T0 + 2_000).agent("helper").cloned().unwrap();
    assert_eq!(helper.parent.as_deref(), Some("lead"));
    assert_eq!(helper.server.as_deref(), Some("gpu1:shoal-t"), "{helper:?}");
    assert!(r.sup.snapshot(T0 + 2_000).agent("stray").is_none());
    // The child, on the host, gets a token of its own.
    assert!(r.env("helper", TOKEN_ENV).is_some_and(|t| t != token));
}

#[test]
fn an_inbox_wait_is_answered_when_a_child_signals() {
    let mut r = rig();
    let lead = r.env("lead", TOKEN_ENV).unwrap();
    r.ask(
        "lead",
        &lead,
        "5",
        &["spawn", "kid", "--cwd", "/srv", "--", "agent-kid"],
    );
    r.sup.tick(T0 + 1_000);
    r.sup.tick(T0 + 2_000);
    r.ask("lead", &lead, "6", &["inbox", "--wait", "30s"]);
    r.ask("lead", &lead, "9", &["inbox", "--agent", "other"]);
    r.sup.tick(T0 + 3_000);
    assert_eq!(r.answer("lead", "6"), None, "answered before any signal");
    let theirs = r.answer("lead", "9").unwrap();
    assert!(theirs.contains("cannot read other's inbox"), "{theirs}");
    let kid = r.env("kid", TOKEN_ENV).unwrap();
    r.ask("kid", &kid, "1", &["signal", "done", "all", "green"]);
    r.sup.tick(T0 + 4_000);
    r.sup.tick(T0 + 5_000);
    let got = r.answer("lead", "6").unwrap();
    assert!(got.starts_with("ok\n"), "{got}");
    assert!(got.contains("kid#1  done"), "{got}");
    assert!(got.contains("all green"), "{got}");
    // Read once: a second inbox finds nothing, and a timed one times out.
    r.ask("lead", &lead, "10", &["inbox", "--wait", "2s"]);
    r.sup.tick(T0 + 6_000);
    r.sup.tick(T0 + 9_000);
    let late = r.answer("lead", "10").unwrap();
    assert!(
        late.contains("no signal from lead's children within 2s"),
        "{late}"
    );
}

#[test]
fn an_oversized_request_is_dropped_unread() {
    let mut r = rig();
    r.tmux.with_pane("lead", |p| {
        p.options.insert(REQUEST_OPTION.into(), "x".repeat(20_000));
    });
    r.sup.tick(T0 + 1_000);
    let said = r.details("lead").join("\n");
    assert!(said.contains("20000 bytes waiting"), "{said}");
    let left = r
        .tmux
        .with_pane("lead", |p| p.options.get(REQUEST_OPTION).cloned());
    assert_eq!(left.as_deref(), Some(""));
}
