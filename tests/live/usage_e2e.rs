//! Usage from the real agent CLIs, offline (opt-in: `SHOAL_LAB=1` with the lab's CLIs
//! installed, see `../shared/lab/README.md`): Claude Code, Codex, Gemini CLI and aider
//! run two turns each against the lab's mock model, which reports input 100 / output 20
//! tokens per answer; `shoal usage` must show exactly that per transcript kind, and for
//! aider what its own screen lines add up to.

use crate::common::{unique, Rig};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

const CLIS: [&str; 4] = ["claude", "codex", "gemini", "aider"];

/// `lab.sh`, when the lab is asked for and its CLIs are installed.
fn lab() -> Option<PathBuf> {
    if std::env::var("SHOAL_LAB").ok().as_deref() != Some("1") {
        eprintln!("skipped: set SHOAL_LAB=1 to run the usage test against the real CLIs");
        return None;
    }
    let script = std::env::var_os("SHOAL_LAB_SH").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/lab/lab.sh"),
        PathBuf::from,
    );
    let home = PathBuf::from(std::env::var_os("HOME").unwrap_or_default());
    let tools = home.join(".cache/shoal-lab/tools");
    let installed = tools.join("npm/node_modules/.bin/claude").exists()
        && tools.join("aider-venv/bin/aider").exists();
    if !script.exists() || !installed {
        eprintln!(
            "skipped: the lab is not installed ({} and {}); run lab.sh install",
            script.display(),
            tools.display()
        );
        return None;
    }
    Some(script)
}

fn port() -> String {
    std::env::var("MOCK_PORT").unwrap_or_else(|_| "8790".into())
}

/// Kills every process under the rig's panes (some CLIs outlive a closed window).
struct Reap(PathBuf, String);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = Command::new(&self.0)
            .args(["reap", &self.1])
            .env("MOCK_PORT", port())
            .output();
    }
}

fn usage(rig: &Rig) -> Value {
    serde_json::from_str(&rig.ok(&["usage", "--json"])).expect("usage JSON")
}

fn tokens_of(u: &Value, agent: &str) -> Option<(u64, u64)> {
    let line = u["lines"].as_array()?.iter().find(|l| l["key"] == agent)?;
    Some((
        line["tokens"]["input"].as_u64()?,
        line["tokens"]["output"].as_u64()?,
    ))
}

/// What aider's `Tokens: N sent, M received.` lines on its screen add up to.
fn aider_screen_tokens(screen: &str) -> (u64, u64, usize) {
    let mut sum = (0, 0, 0);
    for line in screen.lines().filter(|l| l.starts_with("Tokens: ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let n = |s: &str| shoal::usage::screen::parse_count(s.trim_end_matches([',', '.']));
        sum.0 += n(words[1]);
        sum.1 += n(words[3]);
        sum.2 += 1;
    }
    sum
}

#[test]
fn two_turns_give_the_right_tokens_per_kind() {
    let Some(lab) = lab() else { return };
    let tag = unique("usage-");
    let mut agents = String::new();
    for cli in CLIS {
        let out = Command::new(&lab)
            .args(["cmd", cli, "text", &format!("{tag}-{cli}")])
            .env("MOCK_PORT", port())
            .output()
            .expect("lab.sh cmd");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cmd = String::from_utf8_lossy(&out.stdout).trim().to_string();
        agents.push_str(&format!(
            "[[agent]]\nname = \"{cli}\"\nkind = \"{cli}\"\ncmd = '''{cmd}'''\n\n"
        ));
    }
    let mut rig = Rig::new(
        "poll_interval = \"500ms\"\nstall_timeout = \"10m\"",
        &agents,
    );
    let _reap = Reap(lab.clone(), rig.socket());
    rig.supervise();

    let turn = |n: u64| {
        rig.wait_for(Duration::from_secs(150), &format!("turn {n} usage"), || {
            let u = usage(&rig);
            let files_done = ["claude", "codex", "gemini"]
                .iter()
                .all(|a| tokens_of(&u, a).is_some_and(|t| t.1 >= 20 * n));
            let aider_done = tokens_of(&u, "aider").is_some_and(|t| t.1 > 0);
            let aider_lines = aider_screen_tokens(&rig.capture("aider")).2 as u64;
            (files_done && aider_done && aider_lines >= n).then_some(u)
        })
    };
    // Each CLI at its prompt for a while first: a line typed during start-up is lost.
    rig.wait_for(Duration::from_secs(90), "every CLI at its prompt", || {
        let all = rig.status();
        (all.len() == CLIS.len() && all.iter().all(|a| a["activity"] == "idle")).then_some(())
    });
    std::thread::sleep(Duration::from_secs(5));
    // Text, then Enter on its own: Codex and Gemini CLI take an Enter that arrives with
    // the text as part of a paste. A second Enter on an empty composer does nothing.
    let say = |text: &str| {
        for cli in CLIS {
            rig.ok(&["send", cli, text]);
        }
        std::thread::sleep(Duration::from_millis(800));
        for cli in ["codex", "gemini"] {
            rig.ok(&["send", "--keys", cli, "Enter"]);
        }
    };
    say("say hello");
    turn(1);
    say("say hello again");
    turn(2);
    // One more round of reading, so nothing counted late changes the answer.
    std::thread::sleep(Duration::from_secs(6));
    let u = usage(&rig);
    for cli in ["claude", "codex", "gemini"] {
        assert_eq!(tokens_of(&u, cli), Some((200, 40)), "{cli}: {u:#}");
    }
    let (sent, received, lines) = aider_screen_tokens(&rig.capture("aider"));
    assert_eq!(lines, 2, "aider answered twice");
    assert_eq!(tokens_of(&u, "aider"), Some((sent, received)), "{u:#}");
    let by_model: Value =
        serde_json::from_str(&rig.ok(&["usage", "--json", "--by", "model"])).unwrap();
    let models: Vec<&str> = by_model["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["key"].as_str())
        .collect();
    for m in ["claude-opus-4-8", "gpt-5.5", "gemini-2.5-flash", "screen"] {
        assert!(models.contains(&m), "{m} in {models:?}");
    }
}
