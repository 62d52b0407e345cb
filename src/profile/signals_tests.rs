use super::*;
use crate::profile::{Profile, Registry};
use std::path::Path;

const BASE: &str = r#"
name = "t"
[recognize]
commands = ["tool"]
[keys]
approve = ["y"]
deny = ["n"]
"#;

fn profile(extra: &str) -> Result<Profile, crate::profile::ProfileError> {
    // Top-level keys come before the tables in TOML.
    Profile::from_toml(Path::new("t.toml"), &format!("rules = []\n{BASE}{extra}\n"))
}

fn hooks(extra: &str) -> Hooks {
    profile(extra)
        .unwrap_or_else(|e| panic!("{e}"))
        .hooks()
        .cloned()
        .expect("[hooks]")
}

const WIRED: &str = r#"
[hooks]
args = ["--settings", "{settings}", "--notify", "{hook} notify"]
env = { TOOL_DEFAULTS = "{settings}" }
settings = '{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "{hook} Stop"}]}]}, "quiet": true}'
[hooks.events]
Stop = "idle"
Notification = "waiting"
"Notification:permission_prompt" = "needs-input"
"#;

fn hook_words() -> Vec<String> {
    [
        "/opt/my tools/shoal",
        "hook",
        "--store",
        "/d/f.sqlite",
        "tool",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn an_event_claims_by_its_own_entry_else_by_its_name() {
    let h = hooks(WIRED);
    assert_eq!(
        h.claim("Notification:permission_prompt"),
        Some(Claim::NeedsInput)
    );
    assert_eq!(h.claim("Notification:idle_prompt"), Some(Claim::Waiting));
    assert_eq!(h.claim("Stop"), Some(Claim::Idle));
    assert_eq!(h.claim("PreToolUse"), None);
}

#[test]
fn the_launch_appends_quoted_arguments_and_fills_the_settings_file() {
    let h = hooks(WIRED);
    let l = h.launch(
        "cd /w && tool --model m ",
        &hook_words(),
        Path::new("/d/hooks/f-a.json"),
        None,
    );
    assert_eq!(
        l.cmd,
        "cd /w && tool --model m --settings /d/hooks/f-a.json --notify \
         ''\\''/opt/my tools/shoal'\\'' hook --store /d/f.sqlite tool notify'"
    );
    assert_eq!(
        l.env,
        [("TOOL_DEFAULTS".to_string(), "/d/hooks/f-a.json".to_string())]
    );
    let v: Value = serde_json::from_str(l.settings.as_deref().unwrap()).unwrap();
    assert_eq!(
        v["hooks"]["Stop"][0]["hooks"][0]["command"],
        "'/opt/my tools/shoal' hook --store /d/f.sqlite tool Stop"
    );
    assert_eq!(v["quiet"], true);
}

#[test]
fn hook_json_is_an_array_of_the_words() {
    let h = hooks("[hooks]\nargs = [\"-c\", \"notify={hook_json}\"]\n");
    let l = h.launch("tool", &hook_words(), Path::new("/s.json"), None);
    assert_eq!(
        l.cmd,
        r#"tool -c 'notify=["/opt/my tools/shoal","hook","--store","/d/f.sqlite","tool"]'"#
    );
    assert_eq!(l.settings, None);
}

#[test]
fn a_kept_file_keeps_the_operators_hooks_beside_shoals() {
    let h = hooks(WIRED);
    let theirs: Value = serde_json::from_str(
        r#"{"hooks": {"Stop": [{"hooks": [{"command": "mine"}]}], "Other": []}, "quiet": false, "theme": "x"}"#,
    )
    .unwrap();
    let l = h.launch("tool", &hook_words(), Path::new("/s.json"), Some(&theirs));
    let v: Value = serde_json::from_str(l.settings.as_deref().unwrap()).unwrap();
    let stop = v["hooks"]["Stop"].as_array().unwrap();
    assert_eq!(stop.len(), 2, "{v}");
    assert_eq!(stop[0]["hooks"][0]["command"], "mine");
    assert_eq!(v["hooks"]["Other"], serde_json::json!([]));
    assert_eq!(
        (v["quiet"].clone(), v["theme"].clone()),
        (true.into(), "x".into())
    );
}

#[test]
fn kept_files_expand_variables_and_skip_unset_ones() {
    let h = hooks("[hooks]\nkeep = [\"$TOOL_DEFAULTS\", \"/etc/tool/defaults.json\"]\n");
    let set = |v: &str| (v == "TOOL_DEFAULTS").then(|| "/home/u/d.json".to_string());
    assert_eq!(h.keeps(&set), ["/home/u/d.json", "/etc/tool/defaults.json"]);
    assert_eq!(h.keeps(&|_| None), ["/etc/tool/defaults.json"]);
}

#[test]
fn appended_arguments_reach_only_a_program_that_ends_the_line() {
    let cases = [
        ("tool", true),
        ("tool --model m", true),
        ("cd /w && env -i A=1 tool", true),
        ("tool 2>/dev/null", true),
        ("tool >log 2>&1", true),
        ("tool --name 'a b'", true),
        ("exec tool", true),
        ("tool; echo done", false),
        ("tool && echo done", false),
        ("tool | tee log", false),
        ("tool & wait", false),
        ("bash -c 'tool --x'", false),
        ("(tool)", false),
        ("tool # comment", false),
        ("sleep 600", false),
        ("tool 'unclosed", false),
        ("bash '/opt/x/tool' --fast", true),
        ("bash -c 'tool'", false),
        ("sh -lc tool", false),
    ];
    let p = profile("").unwrap();
    for (cmd, want) in cases {
        assert_eq!(p.takes_appended_args(cmd), want, "{cmd:?}");
    }
}

#[test]
fn the_builtin_claude_profile_recognises_where_its_arguments_go() {
    let reg = Registry::builtin();
    let claude = reg.get("claude").unwrap();
    for (cmd, want) in [
        ("claude", true),
        ("cd /x && env -i HOME=/h PATH=/b claude", true),
        ("/usr/local/bin/claude --model opus", true),
        (
            "node /usr/lib/node_modules/@anthropic-ai/claude-code/cli.js",
            true,
        ),
        ("cd ~/claude && claude", true),
        ("bash -lc 'claude --print hi'", false),
        ("sh -lc claude", false),
        ("bash -c 'echo \"$*\" >> /tmp/a; exec sim' claude", false),
        ("bash -c 'setup' ; claude --model m", true),
        ("bash '/opt/bin/claude' --model m", true),
        ("/path/to/shoal sim-agent approval", false),
        ("sleep 600", false),
    ] {
        assert_eq!(claude.takes_appended_args(cmd), want, "{cmd:?}");
    }
}

#[test]
fn titles_claim_by_the_first_rule_that_matches() {
    let p = profile(
        "[[title]]\nregex = '^✋'\nclaim = \"needs-input\"\n[[title]]\nregex = '^✦'\nclaim = \"working\"\n",
    )
    .unwrap();
    assert_eq!(
        p.title_claim("✋  Action Required (x)    "),
        Some(Claim::NeedsInput)
    );
    assert_eq!(p.title_claim("✦  Working… (x)"), Some(Claim::Working));
    assert_eq!(p.title_claim("vm"), None);
}

#[test]
fn mistakes_are_named_where_they_are_written() {
    let err = |extra: &str| match profile(extra) {
        Ok(_) => panic!("accepted:\n{extra}"),
        Err(e) => e,
    };
    let e = err("[hooks.events]\nStop = \"busy\"\n");
    assert!(
        e.to_string().contains("hooks.events.Stop") && e.to_string().contains("\"busy\""),
        "{e}"
    );
    assert!(e.line.is_some(), "{e}");
    let e = err("[hooks]\nargs = [\"--settings\", \"{settings}\"]\nsettings = '{not json'\n");
    assert!(e.to_string().contains("not JSON"), "{e}");
    let e = err("[hooks]\nsettings = '{}'\n");
    assert!(e.to_string().contains("{settings}"), "{e}");
    let e = err("[[title]]\nregex = '('\nclaim = \"idle\"\n");
    assert!(e.to_string().contains("title.regex"), "{e}");
    let e = err("[hooks]\nargz = []\n");
    assert!(e.to_string().contains("argz"), "{e}");
}
