//! Fleet file parsing: every valid fixture loads; every invalid fixture fails with the
//! message and the position written in its `# expect:` and `# at:` header lines.

use shoal::fleet::file;
use std::path::PathBuf;
use std::time::Duration;

fn dir(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fleet")
        .join(kind)
}

fn files(kind: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir(kind))
        .expect("fixture folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_invalid_fixture_names_the_place_and_the_fix() {
    let mut failures = Vec::new();
    let invalid = files("invalid");
    assert!(invalid.len() >= 15, "fixtures missing: {invalid:?}");
    for path in invalid {
        let text = std::fs::read_to_string(&path).unwrap();
        let expect = text
            .lines()
            .find_map(|l| l.strip_prefix("# expect: "))
            .expect("fixture has # expect:");
        let at = text
            .lines()
            .find_map(|l| l.strip_prefix("# at: "))
            .expect("fixture has # at:");
        match file::load(&path) {
            Ok(_) => failures.push(format!("{}: loaded, expected an error", path.display())),
            Err(e) => {
                let shown = e.to_string();
                let want_pos = format!("{}:{at}: ", path.display());
                if !shown.contains(expect) || !shown.starts_with(&want_pos) {
                    failures.push(format!(
                        "{}:\n  got:  {shown}\n  want: {want_pos}…{expect}…",
                        path.display()
                    ));
                }
                let hint = text.lines().find_map(|l| l.strip_prefix("# hint: "));
                if let Some(hint) = hint.filter(|h| !e.hint.contains(h)) {
                    failures.push(format!(
                        "{}: hint {:?}, want {hint:?}",
                        path.display(),
                        e.hint
                    ));
                }
                if e.hint.is_empty() {
                    failures.push(format!("{}: no hint on what to write", path.display()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn valid_fixtures_load_with_defaults_and_overrides() {
    for path in files("valid") {
        file::load(&path).unwrap_or_else(|e| panic!("{e}"));
    }
    let f = file::load(&dir("valid").join("full.toml")).unwrap();
    assert_eq!(f.settings.name, "demo");
    assert_eq!(f.socket(0), "shoal-demo");
    assert_eq!(f.socket(1), "shoal-demo-2");
    assert_eq!(f.settings.poll_interval, Duration::from_millis(500));
    assert_eq!(f.settings.cancel_grace, Duration::from_secs(3));
    assert_eq!(f.settings.agents_per_server, 50);
    assert_eq!(f.settings.nudge_message, "Status?");
    let names: Vec<_> = f.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["lead", "helper_1", "grand-child"]);
    let lead = f.agent("lead").unwrap();
    assert_eq!(lead.stall_timeout, Duration::from_secs(300));
    assert_eq!(lead.env.get("RUST_LOG").map(String::as_str), Some("info"));
    assert_eq!(
        lead.cwd.as_deref(),
        Some(std::path::Path::new(&std::env::var("HOME").unwrap()))
    );
    let helper = f.agent("helper_1").unwrap();
    assert_eq!(helper.stall_timeout, Duration::from_secs(600));
    assert_eq!(helper.parent.as_deref(), Some("lead"));
    assert_eq!(helper.kind.as_deref(), Some("aider"));
    assert_eq!(
        f.agent("grand-child").unwrap().parent.as_deref(),
        Some("helper_1")
    );

    let m = file::load(&dir("valid").join("minimal.toml")).unwrap();
    assert!(m.agents.is_empty());
    assert_eq!(m.settings.stall_timeout, file::DEFAULT_STALL_TIMEOUT);
    assert_eq!(m.settings.nudge_message, file::DEFAULT_NUDGE);
}

#[test]
fn missing_file_says_how_to_fix() {
    let e = file::load(&dir("valid").join("nope.toml")).unwrap_err();
    assert!(e.message.contains("cannot read the fleet file"), "{e}");
    assert!(e.hint.contains("-f FILE"), "{e}");
}

#[test]
fn the_log_cap_defaults_to_512_mib_and_reads_sizes() {
    let f = file::load(&dir("valid").join("log_size.toml")).unwrap();
    assert_eq!(f.settings.log_max_size, 64 << 20);
    let m = file::load(&dir("valid").join("minimal.toml")).unwrap();
    assert_eq!(m.settings.log_max_size, 512 << 20);
}

#[test]
fn on_idle_defaults_to_notify_and_an_agent_may_say_otherwise() {
    use shoal::fleet::OnIdle;
    let text = "[fleet]\nname = \"x\"\non_idle = \"none\"\n[[agent]]\nname = \"a\"\ncmd = \"bash\"\n[[agent]]\nname = \"b\"\ncmd = \"bash\"\non_idle = \"nudge\"\n";
    let fleet = file::parse(std::path::Path::new("f.toml"), text).unwrap();
    assert_eq!(fleet.settings.on_idle, OnIdle::None);
    assert_eq!(fleet.agents[0].on_idle, None);
    assert_eq!(fleet.agents[1].on_idle, Some(OnIdle::Nudge));
    let plain = file::parse(std::path::Path::new("f.toml"), "[fleet]\nname = \"x\"\n").unwrap();
    assert_eq!(plain.settings.on_idle, OnIdle::Notify);
}

#[test]
fn hooks_default_on_and_the_fleet_or_an_agent_may_turn_them_off() {
    let parse = |t: &str| file::parse(std::path::Path::new("f.toml"), t).unwrap();
    let plain = parse("[fleet]\nname = \"x\"\n[[agent]]\nname = \"a\"\ncmd = \"claude\"\n");
    assert!(plain.settings.hooks);
    assert_eq!(plain.agents[0].hooks, None);
    let off = parse("[fleet]\nname = \"x\"\nhooks = false\n[[agent]]\nname = \"a\"\ncmd = \"claude\"\nhooks = true\n");
    assert!(!off.settings.hooks);
    assert_eq!(off.agents[0].hooks, Some(true));
    let e = file::parse(
        std::path::Path::new("f.toml"),
        "[fleet]\nname = \"x\"\n[[agent]]\nname = \"a\"\ncmd = \"c\"\nhooks = \"no\"\n",
    )
    .unwrap_err();
    assert_eq!(e.line, 6, "{e}");
}

#[test]
fn hosts_are_read_and_agents_name_them() {
    let f = file::load(&dir("valid").join("hosts.toml")).unwrap();
    assert_eq!(f.settings.hosts.len(), 1);
    let gpu1 = &f.settings.hosts[0];
    assert_eq!(gpu1.name, "gpu1");
    assert_eq!(gpu1.ssh, "me@gpu1.example");
    assert_eq!(gpu1.port, Some(2222));
    assert_eq!(
        gpu1.ssh_options,
        ["ConnectTimeout=5", "ServerAliveInterval=15"]
    );
    assert_eq!(f.agent("here").unwrap().host, None);
    assert_eq!(
        f.agent("also-here").unwrap().host,
        None,
        "local is this machine"
    );
    assert_eq!(f.agent("there").unwrap().host.as_deref(), Some("gpu1"));
}

#[test]
fn budgets_are_read_with_the_fleet_action_as_the_default() {
    use shoal::fleet::{Budget, BudgetAction, Usd};
    let f = file::load(&dir("valid").join("budgets.toml")).unwrap();
    assert_eq!(f.settings.budget, Some(Usd(20_000_000)));
    assert_eq!(f.settings.budget_action, BudgetAction::Warn);
    let budget = |n: &str| f.agent(n).unwrap().budget;
    assert_eq!(
        budget("lead"),
        Some(Budget {
            limit: Usd(5_000_000),
            action: BudgetAction::Pause
        })
    );
    assert_eq!(
        budget("helper"),
        Some(Budget {
            limit: Usd(500_000),
            action: BudgetAction::Warn
        }),
        "no action of its own: the fleet's"
    );
    assert_eq!(budget("spare").unwrap().action, BudgetAction::Cancel);
    let m = file::load(&dir("valid").join("minimal.toml")).unwrap();
    assert_eq!(m.settings.budget, None);
    assert_eq!(
        m.settings.budget_action,
        BudgetAction::Pause,
        "pause by default"
    );
    assert!(m.settings.fleet_budget().is_none());
}
