//! The configuration from the command line: paths, the default file, checking, shell
//! completions, the man page, and precedence (built-in < config < fleet file).

use crate::common::Rig;
use std::time::Duration;

fn config_dir(rig: &Rig) -> std::path::PathBuf {
    rig.dir.path().join("config")
}

fn write_config(rig: &Rig, text: &str) {
    std::fs::create_dir_all(config_dir(rig)).unwrap();
    std::fs::write(config_dir(rig).join("config.toml"), text).unwrap();
}

#[test]
fn paths_show_the_overridden_dirs() {
    let rig = Rig::new("", "");
    let out = rig.ok(&["paths"]);
    let cfg = config_dir(&rig);
    assert!(
        out.contains(&format!("config file  {}/config.toml", cfg.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("themes       {}/themes", cfg.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("profiles     {}/profiles", cfg.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!("data dir     {}", rig.home().display())),
        "{out}"
    );
}

#[test]
fn the_default_file_is_the_built_in_config() {
    let rig = Rig::new("", "");
    let out = rig.ok(&["config", "--default"]);
    let c = shoal::config::parse(std::path::Path::new("default"), &out).unwrap();
    assert_eq!(c.theme, "dark");
    assert_eq!(c.stall_timeout, Duration::from_secs(300));
    // Every key is explained: each key line follows a comment line.
    let lines: Vec<&str> = out.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.contains(" = ") && !l.starts_with('#') {
            assert!(
                lines[i - 1].starts_with('#') || lines[i - 1].starts_with('['),
                "unexplained: {l}"
            );
        }
    }
}

#[test]
fn config_check_names_every_problem_and_fails() {
    let rig = Rig::new("", "");
    assert!(rig.ok(&["config"]).contains("config ok"));
    write_config(&rig, "theme = \"drak\"\n");
    let out = rig.shoal(&["config"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml:1:9: unknown theme \"drak\""),
        "{err}"
    );
    assert!(err.contains("hint: did you mean \"dark\"?"), "{err}");
    // A bad config stops other commands at the start, with the same message.
    write_config(&rig, "[escalation]\nkil = false\n");
    let out = rig.shoal(&["status"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("config.toml:2:1: unknown key `kil` in the config"),
        "{err}"
    );
    assert!(err.contains("did you mean `kill`?"), "{err}");
}

#[test]
fn completions_and_the_man_page_come_from_the_cli_definition() {
    let rig = Rig::new("", "");
    for shell in ["bash", "zsh", "fish"] {
        let out = rig.ok(&["completions", shell]);
        assert!(
            out.contains("approve") && out.contains("completions"),
            "{shell}: {}",
            &out[..200.min(out.len())]
        );
    }
    let man = rig.ok(&["man"]);
    assert!(man.contains(".TH shoal 1"), "{}", &man[..200]);
    assert!(
        man.contains("approve") && man.contains("\\-\\-poll\\-interval"),
        "flags and commands listed"
    );
    let out = rig.shoal(&["completions", "tcsh"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("possible values"));
}

/// The countdown of a freshly started agent, in seconds.
fn countdown(rig: &Rig) -> i64 {
    rig.wait_for(Duration::from_secs(15), "a countdown", || {
        rig.agent("a")["next_action_in_s"].as_i64()
    })
}

#[test]
fn the_fleet_file_wins_over_the_config_which_wins_over_built_ins() {
    let mut rig = Rig::new(
        "",
        "[[agent]]\nname = \"a\"\ncmd = \"{sim} work --every 100s\"\n",
    );
    write_config(
        &rig,
        "stall_timeout = \"2m\"\n[escalation]\nnudge = false\nwarn = false\n",
    );
    rig.ok(&["up", "--no-console"]);
    let n = countdown(&rig);
    // Config stall timeout 2m; nudge and warn off: the next step is kill at 3x.
    assert!((300..=360).contains(&n), "countdown {n}s, want about 360");
    // The fleet file's own stall timeout wins.
    let text = std::fs::read_to_string(rig.fleet_path()).unwrap();
    std::fs::write(
        rig.fleet_path(),
        text.replace("[fleet]\n", "[fleet]\nstall_timeout = \"1m\"\n"),
    )
    .unwrap();
    let n = countdown(&rig);
    assert!((120..=180).contains(&n), "countdown {n}s, want about 180");
    rig.ok(&["down"]);
    let _ = &mut rig;
}

#[test]
fn config_checks_the_fleet_file_too() {
    let rig = Rig::new(
        "",
        "[[agent]]\nname = \"a\"\ncmd = \"x\"\nkind = \"claud\"\n",
    );
    let out = rig.shoal(&["config"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown kind \"claud\""), "{err}");
    assert!(err.contains("did you mean `claude`"), "{err}");
    assert!(err.contains("shoal.toml:"), "{err}");
}

#[test]
fn the_theme_flag_wins_over_the_config() {
    let rig = Rig::new("", "");
    write_config(&rig, "theme = \"light\"\n");
    assert!(rig.ok(&["config"]).contains("config ok"));
    // The flag replaces the config's theme for everything this command reads.
    let out = rig.shoal(&["--theme", "drak", "config"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown theme \"drak\""), "{err}");
    assert!(rig.ok(&["--theme", "dark", "config"]).contains("config ok"));
}
