//! Opt-in end-to-end tests on the four real agent CLIs, offline, through the agent lab
//! (`../shared/lab`, see its README): for each CLI, a task is typed only when the CLI is
//! ready and the CLI submits it (the mock model receives the request); an approval dialog
//! shows as needs-input within one poll; `shoal approve` and `shoal deny` answer it; an
//! agent idle at its prompt after its answer is never nudged with `on_idle = "notify"`.
//! With `resume = true`, an agent killed after a turn and retried resumes its CLI session
//! (Claude Code, Codex, Gemini CLI): the new pane shows the earlier answer and the task is
//! not typed again.
//!
//! Run: `SHOAL_LAB=1 cargo test --test live lab_e2e -- --nocapture` (one CLI at a time; each
//! test prints its measured needs-input latency). Skipped with a message unless SHOAL_LAB
//! is set and the CLIs are installed (`lab.sh install`). `SHOAL_LAB_DIR` names the lab
//! folder (default `../shared/lab` beside the repository, then `/work/shared/lab`),
//! `SHOAL_LAB_PORT` the mock's port (default 8791).

use crate::common::Rig;
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The CLIs are heavy (node, Python): one test at a time on a small machine.
pub(crate) static SERIAL: Mutex<()> = Mutex::new(());

const POLL_MS: i64 = 500;
const STALL_S: i64 = 15;

pub(crate) struct Lab {
    script: PathBuf,
    port: String,
}

impl Lab {
    /// The lab, or `None` (with the reason printed) when the test should skip.
    pub(crate) fn find(cli: &str) -> Option<Lab> {
        if std::env::var_os("SHOAL_LAB").is_none() {
            eprintln!("lab_e2e {cli}: skipped (set SHOAL_LAB=1 to run against the real CLIs)");
            return None;
        }
        let candidates = [
            std::env::var_os("SHOAL_LAB_DIR").map(PathBuf::from),
            Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/lab")),
            Some(PathBuf::from("/work/shared/lab")),
        ];
        let Some(dir) = candidates
            .into_iter()
            .flatten()
            .find(|d| d.join("lab.sh").is_file())
        else {
            eprintln!("lab_e2e {cli}: skipped (no lab.sh; set SHOAL_LAB_DIR)");
            return None;
        };
        let tools =
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/shoal-lab/tools");
        let bin = if cli == "aider" {
            tools.join("aider-venv/bin/aider")
        } else {
            tools.join("npm/node_modules/.bin").join(cli)
        };
        if !bin.exists() {
            eprintln!(
                "lab_e2e {cli}: skipped ({} is not installed; run lab.sh install)",
                bin.display()
            );
            return None;
        }
        Some(Lab {
            script: dir.join("lab.sh"),
            port: std::env::var("SHOAL_LAB_PORT").unwrap_or_else(|_| "8791".into()),
        })
    }

    pub(crate) fn run(&self, args: &[&str]) -> String {
        let out = Command::new("bash")
            .arg(&self.script)
            .args(args)
            .env("MOCK_PORT", &self.port)
            .env("MOCK_ARGS", "--delay 1 --hang 120")
            .output()
            .expect("run lab.sh");
        assert!(
            out.status.success(),
            "lab.sh {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// The git workspace the agent named `name` runs in (`lab.sh cmd` makes it).
    pub(crate) fn workspace(name: &str) -> PathBuf {
        PathBuf::from(std::env::var("HOME").unwrap_or_default())
            .join(".cache/shoal-lab/run")
            .join(name)
    }

    /// Requests the mock received for `name`.
    fn requests(&self, name: &str) -> usize {
        self.run(&["requests", name]).lines().count()
    }
}

/// Ends every process under the rig's panes (some CLIs outlive a closed window).
pub(crate) struct Reap<'a>(pub(crate) &'a Lab, pub(crate) String);

impl Drop for Reap<'_> {
    fn drop(&mut self) {
        let _ = self.0.run(&["reap", &self.1]);
    }
}

/// The words each CLI's approval dialog shows (lab README).
pub(crate) fn dialog_words(cli: &str) -> &'static str {
    match cli {
        "claude" => "Do you want to proceed?",
        "codex" => "Would you like to run the following command?",
        "gemini" => "Allow execution",
        _ => "Run shell command?",
    }
}

fn event_with<'a>(events: &'a [Value], kind: &str, words: &str) -> Option<&'a Value> {
    events
        .iter()
        .find(|e| e["kind"] == kind && e["detail"].as_str().is_some_and(|d| d.contains(words)))
}

fn lab_cli(cli: &str) {
    let Some(lab) = Lab::find(cli) else { return };
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let tag = format!("profiles-{cli}-{}", std::process::id());
    let (t, a, d) = (format!("{tag}-t"), format!("{tag}-a"), format!("{tag}-d"));
    let cmd = |scenario: &str, name: &str| lab.run(&["cmd", cli, scenario, name]);
    let agents = format!(
        r#"
[[agent]]
name = "{t}"
kind = "{cli}"
cmd = '{ct}'
task = "Say hello in one short sentence."

[[agent]]
name = "{a}"
kind = "{cli}"
cmd = '{ca}'
task = "Create the marker file, please."

[[agent]]
name = "{d}"
kind = "{cli}"
cmd = '{cd}'
task = "Create the marker file, please."
"#,
        ct = cmd("text", &t),
        ca = cmd("approve", &a),
        cd = cmd("approve", &d),
    );
    let mut rig = Rig::new(
        &format!("stall_timeout = \"{STALL_S}s\"\npoll_interval = \"{POLL_MS}ms\""),
        &agents,
    );
    let _reap = Reap(&lab, rig.socket());
    rig.ok(&["up", "--no-console"]);
    rig.supervise();

    // The dialog, seen on the pane directly (every 50 ms) and by the supervisor.
    let pane = rig.wait_for(Duration::from_secs(60), "the pane of the approver", || {
        rig.agent(&a)["pane"].as_str().map(str::to_string)
    });
    let t0 = Instant::now();
    loop {
        if rig.capture(&pane).contains(dialog_words(cli)) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(120),
            "{cli}: no dialog\n{}\nevents: {:#?}",
            rig.capture(&pane),
            rig.events(&a)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // What the operator sees: from the dialog on the pane to `shoal status` saying so
    // (each status call costs a process start, ~20-60 ms of the figure).
    let shown = Instant::now();
    rig.wait_for(Duration::from_secs(10), "needs-input", || {
        (rig.agent(&a)["activity"] == "needs-input").then_some(())
    });
    let latency = shown.elapsed().as_millis();
    eprintln!("lab_e2e {cli}: needs-input in status {latency} ms after the dialog showed (poll {POLL_MS} ms)");
    assert!(
        latency <= (POLL_MS + 1500) as u128,
        "{cli}: needs-input {latency} ms after the dialog showed"
    );

    // Each task was typed once its CLI was ready, and submitted: the model got it.
    for name in [&t, &a, &d] {
        let t0 = Instant::now();
        while !rig.event_kinds(name).iter().any(|k| k == "task") {
            let pane = rig.agent(name)["pane"].as_str().unwrap_or("").to_string();
            assert!(
                t0.elapsed() < Duration::from_secs(90),
                "{cli}: {name}'s task was not typed\n{}\nevents: {:#?}",
                rig.capture(&pane),
                rig.events(name)
            );
            std::thread::sleep(Duration::from_millis(300));
        }
        rig.wait_for(
            Duration::from_secs(30),
            &format!("{name}'s request"),
            || (lab.requests(name) >= 1).then_some(()),
        );
        let failed = rig.events(name).into_iter().find(|e| {
            e["kind"] == "error" && e["detail"].as_str().is_some_and(|d| d.contains("task"))
        });
        assert!(failed.is_none(), "{cli}: {failed:?}");
    }

    // Approve and deny answer the dialogs.
    rig.wait_for(Duration::from_secs(60), "the denier's dialog", || {
        (rig.agent(&d)["activity"] == "needs-input").then_some(())
    });
    rig.ok(&["approve", &a]);
    rig.ok(&["deny", &d]);
    // The approved command ran in the agent's workspace; the denied one did not.
    let marker = |name: &str| Lab::workspace(name).join("mock_was_here.txt");
    rig.wait_for(
        Duration::from_secs(60),
        "the approved command to run",
        || marker(&a).exists().then_some(()),
    );
    rig.wait_for(
        Duration::from_secs(30),
        "the denied dialog to close",
        || (rig.agent(&d)["activity"] != "needs-input").then_some(()),
    );
    assert!(!marker(&d).exists(), "{cli}: the denied command ran");

    // The plain answer ends idle at the prompt: announced, never nudged.
    rig.wait_for(Duration::from_secs(90), "the answerer idle", || {
        event_with(&rig.events(&t), "idle", "waiting for work").map(|_| ())
    });
    let idle_since = Instant::now();
    while idle_since.elapsed() < Duration::from_secs(2 * STALL_S as u64 + 5) {
        let kinds = rig.event_kinds(&t);
        assert!(
            !kinds.iter().any(|k| k == "nudge" || k == "kill"),
            "{cli}: an idle agent was chased: {kinds:?}"
        );
        std::thread::sleep(Duration::from_secs(1));
    }
    assert_eq!(rig.agent(&t)["state"], "running");
    let _ = rig.shoal(&["down"]);
}

/// Kill an agent after one answered turn, retry it, and see the CLI resume that session.
fn lab_resume(cli: &str) {
    let Some(lab) = Lab::find(cli) else { return };
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let name = format!("resume-{cli}-{}", std::process::id());
    let agents = format!(
        "[[agent]]\nname = \"{name}\"\nkind = \"{cli}\"\ncmd = '{cmd}'\ntask = \"Say hello.\"\nresume = true\n",
        cmd = lab.run(&["cmd", cli, "text", &name]),
    );
    let mut rig = Rig::new(&format!("poll_interval = \"{POLL_MS}ms\""), &agents);
    let _reap = Reap(&lab, rig.socket());
    rig.ok(&["up", "--no-console"]);
    rig.supervise();
    rig.wait_for(Duration::from_secs(90), "the answered turn", || {
        event_with(&rig.events(&name), "idle", "waiting for work").map(|_| ())
    });
    // The session id is known once the transcript is read (Codex names it only there);
    // the usage it carries comes in the same report.
    rig.wait_for(Duration::from_secs(30), "the turn's usage", || {
        (rig.agent(&name)["usage"]["own"]["tokens"]["input"].as_u64() > Some(0)).then_some(())
    });
    let requests = lab.requests(&name);
    rig.ok(&["kill", &name]);
    rig.ok(&["retry", &name]);
    let resumed = rig.wait_for(Duration::from_secs(30), "the resumed event", || {
        event_with(&rig.events(&name), "resume", "resumed the CLI's session").cloned()
    });
    let pane = rig.wait_for(Duration::from_secs(30), "attempt 2's pane", || {
        (rig.agent(&name)["attempt"] == 2)
            .then(|| rig.agent(&name)["pane"].as_str().map(str::to_string))
            .flatten()
    });
    rig.wait_for(
        Duration::from_secs(60),
        "the earlier answer on screen",
        || {
            rig.capture(&pane)
                .contains("Hello from the mock LLM")
                .then_some(())
        },
    );
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        rig.event_kinds(&name)
            .iter()
            .filter(|k| *k == "task")
            .nth(1)
            .is_none(),
        "{cli}: the task was typed again: {:#?}",
        rig.events(&name)
    );
    assert_eq!(
        lab.requests(&name),
        requests,
        "{cli}: a new request after resume"
    );
    eprintln!("lab_e2e {cli}: {}", resumed["detail"]);
    let _ = rig.shoal(&["down"]);
}

#[test]
fn lab_resume_claude() {
    lab_resume("claude");
}

#[test]
fn lab_resume_codex() {
    lab_resume("codex");
}

#[test]
fn lab_resume_gemini() {
    lab_resume("gemini");
}

#[test]
fn lab_claude() {
    lab_cli("claude");
}

#[test]
fn lab_codex() {
    lab_cli("codex");
}

#[test]
fn lab_gemini() {
    lab_cli("gemini");
}

#[test]
fn lab_aider() {
    lab_cli("aider");
}
