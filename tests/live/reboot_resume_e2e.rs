//! After a reboot (here: the fleet's tmux server killed under it), `shoal up` names the
//! agents that were running, says how to choose without a terminal, and with `--resume`
//! starts them again, resuming the CLI's session where the profile can: the new attempt
//! is launched with the resume arguments and the same session id. Agents that had ended
//! on their own are not offered.

use crate::common::Rig;
use std::process::{Command, Stdio};
use std::time::Duration;

/// A profile whose CLI takes a session id at launch (like Claude Code and Gemini CLI).
const PROFILE: &str = r#"
name = "echoer"
rules = []
[session]
launch = "--session-id {session}"
resume = "--resume {session}"
"#;

/// The agent prints the arguments shoal appended, then waits.
const AGENTS: &str = r#"
[[agent]]
name = "talker"
kind = "echoer"
resume = true
cmd = "sh -c 'echo args: \"$*\"; exec cat' sh"

[[agent]]
name = "finished"
cmd = "true"
"#;

#[test]
fn up_after_a_reboot_offers_and_resumes_what_was_running() {
    let rig = Rig::new("", AGENTS);
    let profiles = rig.dir.path().join("config/profiles");
    std::fs::create_dir_all(&profiles).unwrap();
    std::fs::write(profiles.join("echoer.toml"), PROFILE).unwrap();

    rig.ok(&["up", "--no-console"]);
    let pane = rig.wait_for(Duration::from_secs(20), "talker's pane", || {
        rig.agent("talker")["pane"].as_str().map(str::to_string)
    });
    let first = rig.wait_for(Duration::from_secs(20), "the launch arguments", || {
        let screen = rig.capture(&pane);
        let line = screen
            .lines()
            .find(|l| l.starts_with("args: --session-id "))?;
        Some(
            line.trim_start_matches("args: --session-id ")
                .trim()
                .to_string(),
        )
    });
    rig.wait_for(Duration::from_secs(20), "finished to end", || {
        (rig.agent("finished")["state"] == "done").then_some(())
    });

    // The reboot: every pane and the server go at once.
    let killed = Command::new("tmux")
        .args(["-L", &rig.socket(), "-f", "/dev/null", "kill-server"])
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(killed.success());

    // Without a terminal, `up` asks nothing and says how to choose.
    let out = rig.ok(&["up", "--no-console"]);
    assert!(
        out.contains("1 agent was running when its tmux server went away")
            && out.contains(": talker")
            && out.contains("`shoal up --resume`"),
        "{out}"
    );
    assert!(
        !out.contains("went away (a reboot or a killed server): finished"),
        "{out}"
    );
    assert_eq!(rig.agent("talker")["attempt"], 1, "nothing started unasked");

    let out = rig.ok(&["up", "--no-console", "--no-resume"]);
    assert!(out.contains("left ended"), "{out}");
    assert_eq!(rig.agent("talker")["attempt"], 1);

    let out = rig.ok(&["up", "--no-console", "--resume"]);
    assert!(out.contains("talker: started attempt 2"), "{out}");
    let pane = rig.wait_for(Duration::from_secs(20), "attempt 2's pane", || {
        let a = rig.agent("talker");
        (a["attempt"] == 2 && a["state"] == "running")
            .then(|| a["pane"].as_str().map(str::to_string))
            .flatten()
    });
    rig.wait_for(Duration::from_secs(20), "the resume arguments", || {
        rig.capture(&pane)
            .contains(&format!("args: --resume {first}"))
            .then_some(())
    });
    assert!(
        rig.events("talker")
            .iter()
            .any(|e| e["kind"] == "resume"
                && e["detail"].as_str().is_some_and(|d| d.contains(&first))),
        "{:#?}",
        rig.events("talker")
    );
    // `finished` ended on its own: still attempt 1.
    assert_eq!(rig.agent("finished")["attempt"], 1);
    // Offered once: the resumed agent is running, nothing is left to offer.
    let out = rig.ok(&["up", "--no-console"]);
    assert!(!out.contains("went away"), "{out}");
    let _ = rig.shoal(&["down"]);
}
