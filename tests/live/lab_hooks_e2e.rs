//! Opt-in end-to-end tests of agent-native signals on the four real CLIs, offline,
//! through the agent lab: two agents with shoal's hooks and two with `hooks = false`
//! each reach an approval dialog. The hooks the real CLI fires are recorded with the
//! attempt; where a CLI has a hook for its dialog (Claude Code, Gemini CLI, aider) the
//! change to needs-input says the hook signalled it; the agents without hooks record
//! none. Each test prints the needs-input latency of every agent, from the dialog on
//! the pane (watched every 50 ms) to the supervisor's needs-input event.
//!
//! Run: `SHOAL_LAB=1 cargo test --test live lab_hooks -- --nocapture --test-threads 1`
//! (`SHOAL_LAB_POLL=5s` changes the poll interval, 1s by default; `SHOAL_LAB_ROUNDS` the
//! dialogs per agent, 3 by default). Skipped with a message unless SHOAL_LAB is set and
//! the CLIs are installed (`lab.sh install`).

use crate::common::{now_ms, Rig};
use crate::lab_e2e::{dialog_words, Lab, Reap, SERIAL};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The event of each CLI's dialog hook, and of the end of its turn.
fn expected_hooks(cli: &str) -> (Option<&'static str>, &'static str) {
    match cli {
        "claude" => (Some("PermissionRequest"), "Stop"),
        "gemini" => (Some("Notification:ToolPermission"), "AfterAgent"),
        "aider" => (Some("notification"), "notification"),
        _ => (None, "agent-turn-complete"),
    }
}

/// Rigs live under the lab's cache: Gemini CLI skips a settings file under /tmp.
fn rigs_dir() -> PathBuf {
    let dir =
        PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/shoal-lab/rigs");
    std::fs::create_dir_all(&dir).expect("rigs dir");
    dir
}

fn lab_hooks(cli: &str) {
    let Some(lab) = Lab::find(cli) else { return };
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let poll = std::env::var("SHOAL_LAB_POLL").unwrap_or_else(|_| "1s".into());
    let tag = format!("hooks-{cli}-{}", std::process::id());
    let names: Vec<(String, bool)> = ["h1", "h2", "n1", "n2"]
        .iter()
        .map(|n| (format!("{tag}-{n}"), n.starts_with('h')))
        .collect();
    let mut agents = String::new();
    for (name, hooked) in &names {
        let mut cmd = lab.run(&["cmd", cli, "approve", name]);
        if cli == "gemini" {
            // The lab starts each CLI with `env -i` and a list of what passes; a real
            // pane's environment reaches Gemini CLI whole.
            cmd = cmd.replace(
                " gemini",
                " GEMINI_CLI_SYSTEM_DEFAULTS_PATH=$GEMINI_CLI_SYSTEM_DEFAULTS_PATH gemini",
            );
        }
        agents.push_str(&format!(
            "[[agent]]\nname = \"{name}\"\nkind = \"{cli}\"\ncmd = '{cmd}'\ntask = \"Create the marker file, please.\"\n{}\n",
            if *hooked { "" } else { "hooks = false\n" }
        ));
    }
    let mut rig = Rig::new_in(
        &rigs_dir(),
        &format!("stall_timeout = \"2m\"\npoll_interval = \"{poll}\""),
        &agents,
    );
    let _reap = Reap(&lab, rig.socket());
    // The supervisor starts the agents itself: nothing else looks at their panes.
    rig.supervise();
    let panes: Vec<String> = names
        .iter()
        .map(|(name, _)| {
            rig.wait_for(Duration::from_secs(60), "the pane", || {
                rig.agent(name)["pane"].as_str().map(str::to_string)
            })
        })
        .collect();
    let rounds: usize = std::env::var("SHOAL_LAB_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let (dialog_hook, turn_hook) = expected_hooks(cli);
    let mut figures: Vec<(bool, i64)> = Vec::new();
    for round in 0..rounds {
        // Round 0: the four tasks typed at start, dialogs at once. Later rounds: one
        // agent at a time, its next task sent and its dialog watched alone.
        let batches: Vec<Vec<usize>> = if round == 0 {
            vec![(0..names.len()).collect()]
        } else {
            (0..names.len()).map(|i| vec![i]).collect()
        };
        for batch in batches {
            if round > 0 {
                // Typed straight into the pane at a random moment: a `shoal send` is
                // carried out at a tick, which would put every dialog at the same point
                // between two polls.
                std::thread::sleep(Duration::from_millis(now_ms().rem_euclid(997) as u64));
            }
            let since = now_ms();
            if round > 0 {
                for &i in &batch {
                    type_line(
                        &rig,
                        &panes[i],
                        cli,
                        "Create the marker file once more, please.",
                    );
                }
            }
            let watched: Vec<String> = batch.iter().map(|&i| panes[i].clone()).collect();
            let seen = dialogs_seen(&rig, &watched, cli);
            for (k, &i) in batch.iter().enumerate() {
                let (name, hooked) = &names[i];
                let change = rig.wait_for(Duration::from_secs(30), "needs-input", || {
                    rig.events(name).into_iter().find(|e| {
                        e["kind"] == "activity"
                            && e["ts_ms"].as_i64().unwrap_or(0) >= since
                            && e["detail"]
                                .as_str()
                                .is_some_and(|d| d.ends_with("→ needs-input"))
                    })
                });
                let latency = change["ts_ms"].as_i64().unwrap_or(0) - seen[k];
                let rule = change["rule"].as_str().unwrap_or("").to_string();
                eprintln!(
                    "lab_hooks {cli}: round {round} {name} hooks={hooked} needs-input {latency} ms after the dialog (poll {poll}); rule: {rule}"
                );
                figures.push((*hooked, latency));
                match (hooked, dialog_hook) {
                    (true, Some(ev)) => assert!(
                        rule.contains(&format!("signalled by hook {ev}")),
                        "{cli}: {name}: {rule}"
                    ),
                    (false, _) => assert!(
                        !rule.contains("by hook ") && !rule.contains(", hook "),
                        "{cli}: {name}: {rule}"
                    ),
                    _ => {}
                }
            }
            // Answer the dialogs (aider asks again whether to add the output) until each
            // agent waits at its prompt.
            for &i in &batch {
                rig.ok(&["approve", &names[i].0]);
            }
            for &i in &batch {
                let name = &names[i].0;
                rig.wait_for(Duration::from_secs(120), "the turn's end", || {
                    let a = rig.agent(name);
                    if a["activity"] == "needs-input" {
                        let _ = rig.shoal(&["approve", name]);
                    }
                    (a["activity"] == "idle").then_some(())
                });
            }
        }
    }

    // The real CLI's hooks are on record with the attempt; none where hooks = false.
    for (name, hooked) in &names {
        let hooks: Vec<Value> = rig
            .events(name)
            .into_iter()
            .filter(|e| e["kind"] == "hook")
            .collect();
        if !*hooked {
            assert!(hooks.is_empty(), "{cli}: hooks = false: {hooks:?}");
            continue;
        }
        let fired = |ev: &str| {
            hooks
                .iter()
                .any(|e| e["detail"] == format!("{cli} hook {ev}") && e["attempt"] == 1)
        };
        assert!(fired(turn_hook), "{cli}: {name}: no {turn_hook}: {hooks:?}");
        if let Some(d) = dialog_hook {
            assert!(fired(d), "{cli}: {name}: no {d}: {hooks:?}");
        }
        eprintln!("lab_hooks {cli}: {name} recorded {} hooks", hooks.len());
    }
    for (name, _) in &names {
        for e in rig.events(name).iter().filter(|e| e["kind"] == "disagree") {
            eprintln!("lab_hooks {cli}: {name} disagreement: {}", e["detail"]);
        }
    }
    let stats = |h: bool| {
        let mut v: Vec<i64> = figures.iter().filter(|f| f.0 == h).map(|f| f.1).collect();
        v.sort_unstable();
        let mean = v.iter().sum::<i64>() / v.len().max(1) as i64;
        format!(
            "mean {mean} ms, median {} ms, max {} ms over {}",
            v[v.len() / 2],
            v[v.len() - 1],
            v.len()
        )
    };
    eprintln!(
        "lab_hooks {cli}: needs-input latency (poll {poll}) with hooks: {}; without: {}",
        stats(true),
        stats(false)
    );
    let _ = rig.shoal(&["down"]);
}

/// Type a line into a pane as an operator would: the text, a moment, Enter (Codex and
/// Gemini CLI drop an Enter right behind typed text, so they get a second one).
fn type_line(rig: &Rig, pane: &str, cli: &str, text: &str) {
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args([
                "-L",
                &rig.socket(),
                "-f",
                "/dev/null",
                "send-keys",
                "-t",
                pane,
            ])
            .args(args)
            .status()
            .expect("tmux send-keys");
    };
    tmux(&["-l", text]);
    std::thread::sleep(Duration::from_millis(400));
    tmux(&["Enter"]);
    if matches!(cli, "codex" | "gemini") {
        std::thread::sleep(Duration::from_millis(600));
        tmux(&["Enter"]);
    }
}

/// Whether `screen` shows `cli`'s approval dialog live: aider leaves its answered
/// questions in the transcript, so only its last line counts.
fn dialog_live(cli: &str, screen: &str) -> bool {
    if cli == "aider" {
        let last = screen.lines().rev().find(|l| !l.trim().is_empty());
        return last.is_some_and(|l| l.contains(dialog_words(cli)));
    }
    screen.contains(dialog_words(cli))
}

/// When each pane first showed `cli`'s dialog, in unix ms: all panes are captured by one
/// tmux client every 20 ms, so the time is known to within about that.
fn dialogs_seen(rig: &Rig, panes: &[String], cli: &str) -> Vec<i64> {
    const MARK: &str = "==8<== shoal pane ==8<==";
    let mut seen: Vec<Option<i64>> = vec![None; panes.len()];
    let t0 = Instant::now();
    while seen.iter().any(Option::is_none) {
        let mut args: Vec<String> =
            vec!["-L".into(), rig.socket(), "-f".into(), "/dev/null".into()];
        for p in panes {
            args.extend(
                [
                    "capture-pane",
                    "-p",
                    "-t",
                    p,
                    ";",
                    "display-message",
                    "-p",
                    MARK,
                    ";",
                ]
                .map(String::from),
            );
        }
        args.pop();
        let out = std::process::Command::new("tmux")
            .args(&args)
            .output()
            .expect("tmux");
        let now = now_ms();
        let text = String::from_utf8_lossy(&out.stdout);
        for (i, screen) in text.split(MARK).take(panes.len()).enumerate() {
            if seen[i].is_none() && dialog_live(cli, screen) {
                seen[i] = Some(now);
            }
        }
        assert!(
            t0.elapsed() < Duration::from_secs(180),
            "dialogs seen {seen:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    seen.into_iter().flatten().collect()
}

#[test]
fn lab_hooks_claude() {
    lab_hooks("claude");
}

#[test]
fn lab_hooks_codex() {
    lab_hooks("codex");
}

#[test]
fn lab_hooks_gemini() {
    lab_hooks("gemini");
}

#[test]
fn lab_hooks_aider() {
    lab_hooks("aider");
}
