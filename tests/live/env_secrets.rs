//! A fleet file's `env` values are the operator's secrets: the store keeps only hashes,
//! the agent still gets the values (read from the file when it starts), and a value
//! changed in the file since is said at the next start.

use crate::common::Rig;
use std::time::Duration;

#[test]
fn env_values_reach_the_agent_but_never_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("saw");
    let agents = format!(
        "[[agent]]\nname = \"a\"\ncmd = \"printf %s \\\"$TOKEN\\\" > {} && sleep 600\"\nenv = {{ TOKEN = \"hunter2-plain-value\" }}\n",
        marker.display()
    );
    let rig = Rig::new("", &agents);
    rig.ok(&["up", "--no-console"]);
    rig.wait_for(Duration::from_secs(20), "the agent's marker", || {
        std::fs::read_to_string(&marker)
            .ok()
            .filter(|s| !s.is_empty())
    });
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        "hunter2-plain-value"
    );
    rig.ok(&["status"]); // a command that writes the store again
    for suffix in ["", "-wal"] {
        let path = format!("{}{suffix}", rig.db().display());
        let bytes = std::fs::read(&path).unwrap_or_default();
        let found = bytes
            .windows(b"hunter2-plain-value".len())
            .any(|w| w == b"hunter2-plain-value");
        assert!(!found, "the value is in {path}");
    }
    let json = rig.ok(&["status", "--json"]);
    assert!(!json.contains("hunter2"), "{json}");

    // The file changes; a retry starts with the new value and says so.
    let text = std::fs::read_to_string(&rig.fleet).unwrap();
    std::fs::write(
        &rig.fleet,
        text.replace("hunter2-plain-value", "rotated-value"),
    )
    .unwrap();
    std::fs::remove_file(&marker).unwrap();
    rig.ok(&["kill", "a"]);
    rig.ok(&["retry", "a"]);
    rig.wait_for(Duration::from_secs(20), "the new value", || {
        std::fs::read_to_string(&marker)
            .ok()
            .filter(|s| s == "rotated-value")
    });
}
