//! `shoal send` through the real binary: long text arrives whole, control characters
//! are refused before anything is typed, and `--keys` sends key names on purpose.

use crate::common::Rig;
use std::path::Path;
use std::time::Duration;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// An agent whose pane stores the first `n` bytes typed into it (raw mode, no echo),
/// and notes an interrupt in `int`.
fn rig(n: usize) -> (Rig, std::path::PathBuf, std::path::PathBuf) {
    let rig = Rig::new("", "");
    let dir = rig.dir.path().to_path_buf();
    let out = dir.join("typed");
    let int = dir.join("interrupted");
    let script = dir.join("agent.sh");
    std::fs::write(
        &script,
        format!(
            "trap 'echo INT > {int}' INT\nstty raw -echo isig\necho ready\nhead -c {n} > {out}\nwhile :; do sleep 0.1; done\n",
            int = int.display(),
            out = out.display()
        ),
    )
    .unwrap();
    let text = std::fs::read_to_string(&rig.fleet).unwrap()
        + &format!(
            "[[agent]]\nname = \"a\"\nkind = \"shell\"\ncmd = \"sh {}\"\n",
            script.display()
        );
    std::fs::write(&rig.fleet, text).unwrap();
    rig.ok(&["up", "--no-console"]);
    rig.wait_for(Duration::from_secs(10), "the agent is ready", || {
        rig.pane_ids()
            .iter()
            .any(|p| rig.capture(p).contains("ready"))
            .then_some(())
    });
    (rig, out, int)
}

#[test]
fn forty_kilobytes_sent_arrive_whole_then_enter() {
    let text: String = (0..6000).map(|i| format!("w{i:05} ")).collect();
    assert!(text.len() > 40_000);
    let (rig, out, _) = rig(text.len() + 1);
    rig.ok(&["send", "a", &text]);
    rig.wait_for(Duration::from_secs(20), "all bytes", || {
        (read(&out).len() > text.len()).then_some(())
    });
    assert!(
        read(&out) == format!("{text}\r"),
        "the text arrived changed"
    );
}

#[test]
fn ctrl_c_in_sent_text_is_refused_and_keys_interrupt_on_purpose() {
    let (rig, out, int) = rig(3);
    let refused = rig.shoal(&["send", "a", "stop\u{3}now"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{err}");
    assert!(err.contains("Ctrl-C (U+0003) at character 5"), "{err}");
    assert!(err.contains("shoal send --keys AGENT C-c"), "{err}");
    let refused = rig.shoal(&["steer", "a", "\u{1b}[A"]);
    assert!(!refused.status.success());
    std::thread::sleep(Duration::from_millis(500));
    assert!(!int.exists(), "the agent was interrupted");
    assert_eq!(read(&out), "", "part of the text was typed");

    let sent = rig.ok(&["send", "--keys", "a", "C-c"]);
    assert!(sent.contains("sent C-c to a"), "{sent}");
    rig.wait_for(Duration::from_secs(5), "the interrupt", || {
        int.exists().then_some(())
    });
    let missing = rig.shoal(&["send", "--keys", "nobody", "Enter"]);
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no agent named \"nobody\""));
}

#[test]
fn a_send_is_confirmed_from_the_composer_and_a_dropped_enter_is_pressed_again() {
    // Simulated Claude Code screens: the claude profile reads their input box. One drops
    // the first Enter behind typed text (as Gemini CLI and Codex do), one drops them all.
    let rig = Rig::new(
        "",
        r#"
[[agent]]
name = "once"
cmd = "{sim} idle --drop-enters 1"
kind = "claude"

[[agent]]
name = "never"
cmd = "{sim} idle --drop-enters 9"
kind = "claude"
"#,
    );
    rig.ok(&["up", "--no-console"]);
    for name in ["once", "never"] {
        rig.wait_for(
            Duration::from_secs(15),
            &format!("{name} at its prompt"),
            || (rig.agent(name)["activity"] == "idle").then_some(()),
        );
    }
    let out = rig.ok(&["send", "once", "say hello"]);
    assert!(out.contains("the CLI took it"), "{out}");
    rig.wait_for(Duration::from_secs(10), "once to work on the line", || {
        (rig.agent("once")["activity"] == "working").then_some(())
    });

    let out = rig.shoal(&["send", "never", "say hello"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "a send the CLI kept was reported done"
    );
    assert!(stderr.contains("still in the input box"), "{stderr}");
    let failed = rig
        .events("never")
        .into_iter()
        .find(|e| {
            e["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not delivered"))
        })
        .unwrap_or_else(|| panic!("no undelivered event: {:?}", rig.event_kinds("never")));
    assert_eq!(failed["level"], "error", "{failed}");
}

/// `shoal up` with no supervisor types each task and waits until the CLI took it (the
/// typing spans several looks at the pane): the task is recorded before `up` returns.
#[test]
fn up_without_a_supervisor_types_the_task_and_records_it_before_returning() {
    let rig = Rig::new(
        "",
        r#"
[[agent]]
name = "a"
kind = "claude"
cmd = "{sim} idle --wait-task"
task = "do the thing"
"#,
    );
    rig.ok(&["up", "--no-console"]);
    let events = rig.events("a");
    let task = events
        .iter()
        .find(|e| e["kind"] == "task")
        .unwrap_or_else(|| panic!("no task event after up: {events:#?}"));
    assert_eq!(task["detail"], "typed the task: do the thing");
    assert!(!events.iter().any(|e| e["kind"] == "error"), "{events:#?}");
    let _ = rig.shoal(&["down"]);
}
