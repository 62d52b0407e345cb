//! Detection end to end: `shoal detect` explains real captures, and a supervised agent
//! waiting at an approval prompt is never nudged and goes back to work once approved
//! from the CLI.

use crate::common::{now_ms, shared_fixtures, Rig, SHOAL};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

#[test]
fn detect_explains_which_rule_matched_where() {
    let file = shared_fixtures().join("claude/approval_prompt.ansi");
    let out = Command::new(SHOAL)
        .args(["detect", "--kind", "claude", "--json"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v[0];
    assert_eq!(r["activity"], "needs-input", "{r}");
    let text = r.to_string();
    assert!(text.contains("claude.approval"), "names the rule: {text}");

    let out = Command::new(SHOAL)
        .arg("detect")
        .arg(shared_fixtures().join("aider/ratelimit_error.txt"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("errored") && text.contains("rate-limit"),
        "{text}"
    );

    let out = Command::new(SHOAL)
        .args(["detect", "--kind", "nope"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown kind \"nope\"") && err.contains("claude"),
        "{err}"
    );
}

#[test]
fn an_agent_waiting_for_approval_is_never_nudged_and_approve_sends_its_keys() {
    let agents = r#"
[[agent]]
name = "asker"
cmd = "{sim} approval --after 1s"
kind = "claude"
"#;
    let mut rig = Rig::new("stall_timeout = \"2s\"\npoll_interval = \"250ms\"", agents);
    rig.supervise();
    rig.wait_for(Duration::from_secs(15), "the approval prompt", || {
        (rig.agent("asker")["activity"] == "needs-input").then_some(())
    });
    // Ticks past 2× the stall timeout from the last progress (before the prompt was
    // seen): a ladder that ran would have nudged and warned by then.
    rig.wait_ticks_from(now_ms() + 2 * 2_000 + 500, 2);
    let a = rig.agent("asker");
    assert_eq!(a["activity"], "needs-input", "{a}");
    assert_eq!(a["tier"], "ok", "{a}");
    assert_eq!(
        a["next_action_in_s"],
        Value::Null,
        "no countdown while waiting: {a}"
    );
    let kinds = rig.event_kinds("asker");
    assert!(
        !kinds.iter().any(|k| k == "nudge" || k == "warn"),
        "{kinds:?}"
    );
    let act = rig
        .events("asker")
        .into_iter()
        .rfind(|e| e["kind"] == "activity")
        .unwrap();
    assert!(
        act["rule"].as_str().unwrap_or("").contains("claude."),
        "events carry the rule: {act}"
    );

    let out = rig.ok(&["approve", "asker"]);
    assert!(out.contains("sent Enter to asker"), "{out}");
    rig.wait_for(Duration::from_secs(10), "asker back at work", || {
        (rig.agent("asker")["activity"] == "working").then_some(())
    });
    let pane = rig.agent("asker")["pane"].as_str().unwrap().to_string();
    assert!(
        rig.capture(&pane).contains("mock-ok"),
        "the approved command ran"
    );
    // A second approve is refused: nothing is waiting.
    let again = rig.shoal(&["approve", "asker"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not waiting for input"));
}
