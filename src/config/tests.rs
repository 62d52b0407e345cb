//! The default file, precedence, and the messages of a bad config.

use super::*;
use crate::fleet::file;
use std::path::Path;
use std::time::Duration;

#[test]
fn the_default_file_says_exactly_the_built_in_values() {
    let c = parse(Path::new("config.toml"), DEFAULT_FILE).unwrap();
    let c = Config {
        path: None,
        theme_pos: None,
        ..c
    };
    assert_eq!(c, Config::default());
}

#[test]
fn a_missing_file_means_the_built_in_values() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        load(&dir.path().join("config.toml")).unwrap(),
        Config::default()
    );
}

#[test]
fn fleet_file_values_win_over_the_config_and_the_config_over_built_ins() {
    let c = parse(
        Path::new("config.toml"),
        "stall_timeout = \"2m\"\npoll_interval = \"3s\"\nnudge_message = \"hey\"\n",
    )
    .unwrap();
    let text = "[fleet]\nname = \"x\"\npoll_interval = \"250ms\"\n[[agent]]\nname = \"a\"\ncmd = \"c\"\n[[agent]]\nname = \"b\"\ncmd = \"c\"\nstall_timeout = \"9s\"\n";
    let fleet = file::parse_with(Path::new("shoal.toml"), text, &c.fleet_defaults()).unwrap();
    assert_eq!(
        fleet.settings.poll_interval,
        Duration::from_millis(250),
        "fleet file wins"
    );
    assert_eq!(
        fleet.settings.stall_timeout,
        Duration::from_secs(120),
        "config fills the gap"
    );
    assert_eq!(fleet.agents[0].stall_timeout, Duration::from_secs(120));
    assert_eq!(fleet.agents[1].stall_timeout, Duration::from_secs(9));
    assert_eq!(fleet.settings.nudge_message, "hey");
    assert_eq!(
        fleet.settings.cancel_grace,
        Duration::from_secs(10),
        "built-in"
    );
}

#[test]
fn keymap_entries_keep_their_order_and_position() {
    let text = "theme = \"dark\"\n[keymap.fleet]\n\"x\" = \"kill\"\nctrl-n =   \"jump-to-needy\"\n[keymap.help]\nspace = \"scroll-down\"\n";
    let c = parse(Path::new("c.toml"), text).unwrap();
    let got: Vec<_> = c
        .keymap
        .iter()
        .map(|e| {
            (
                e.view.as_str(),
                e.key.as_str(),
                e.action.as_str(),
                e.key_pos.line,
                e.action_pos.column,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("fleet", "x", "kill", 3, 7),
            ("fleet", "ctrl-n", "jump-to-needy", 4, 12),
            ("help", "space", "scroll-down", 6, 9),
        ]
    );
}

#[test]
fn bad_values_are_located_and_explained() {
    let cases = [
        (
            "pol_interval = \"1s\"\n",
            "c.toml:1:1: unknown key `pol_interval` in the config",
            "did you mean `poll_interval`?",
        ),
        (
            "[escalation]\nnudge = true\nkil = false\n",
            "c.toml:3:1: unknown key `kil`",
            "did you mean `kill`?",
        ),
        (
            "[notify]\nbel = false\n",
            "unknown key `bel`",
            "did you mean `bell`?",
        ),
        (
            "stall_timeout = \"5 minutes please\"\n",
            "c.toml:1:17: stall_timeout: bad duration",
            "like \"500ms\"",
        ),
        (
            "[notify]\non = [\"warn\", \"needs_input\"]\n",
            "c.toml:2:15: notify.on: unknown change \"needs_input\"",
            "did you mean \"needs-input\"?",
        ),
        (
            "[notify]\ndesktop = \"osc8\"\n",
            "c.toml:2:11: notify.desktop: unknown value \"osc8\"",
            "osc777",
        ),
        (
            "theme = \"dark\"\n[console]\non_quit = \"detach\"\n",
            "c.toml:3:11: console.on_quit: unknown value \"detach\"",
            "use \"keep\"",
        ),
        (
            "[keymap.tree]\nx = \"kill\"\n",
            "unknown key `tree`",
            "valid keys here: fleet, help",
        ),
        (
            "[keymap.fleet]\nx = 3\n",
            "c.toml:2:1: keymap.fleet: \"x\" must name an action",
            "",
        ),
        (
            "poll_interval = \"1s\"\nstall_timeout = \"500000000years\"\n",
            "c.toml:2:17: stall_timeout: duration \"500000000years\" is longer than 10 years",
            "at most 10 years",
        ),
        (
            "log_retention = \"never\"\n",
            "log_retention: bad duration",
            "\"off\" to keep everything",
        ),
        ("theme = \"\"\n", "theme is empty", ""),
    ];
    for (text, message, hint) in cases {
        let e = parse(Path::new("c.toml"), text).unwrap_err().to_string();
        assert!(
            e.contains(message),
            "{text:?}\n  got: {e}\n  want: {message}"
        );
        assert!(
            e.contains(hint),
            "{text:?}\n  got: {e}\n  want hint: {hint}"
        );
    }
}

#[test]
fn log_retention_off_keeps_everything() {
    let c = parse(Path::new("c.toml"), "log_retention = \"off\"\n").unwrap();
    assert_eq!(c.log_retention, None);
}

#[test]
fn on_quit_reads_each_value_and_defaults_to_keep() {
    use super::schema::OnQuit;
    assert_eq!(Config::default().on_quit, OnQuit::Keep);
    for (text, want) in [
        ("keep", OnQuit::Keep),
        ("stop", OnQuit::Stop),
        ("ask", OnQuit::Ask),
    ] {
        let c = parse(
            Path::new("c.toml"),
            &format!("[console]\non_quit = \"{text}\"\n"),
        )
        .unwrap();
        assert_eq!(c.on_quit, want, "{text}");
    }
}
