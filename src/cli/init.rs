//! `shoal init`: a commented starter fleet file, so the road from the demo to a fleet of
//! one's own starts with a file that already parses.

use anyhow::{bail, Context, Result};
use std::path::Path;

const DEMO: &str = include_str!("../../assets/demo.toml");

/// The command each known kind is started with in the starter file.
const COMMANDS: &[(&str, &str)] = &[
    ("claude", "claude"),
    ("codex", "codex"),
    ("gemini", "gemini"),
    ("aider", "aider"),
    ("shell", "bash"),
];

/// The starter text: one agent per kind (a `claude` lead when none is given), the
/// others its children, every setting commented.
pub fn starter(fleet: &str, kinds: &[String]) -> Result<String> {
    let kinds: Vec<String> = if kinds.is_empty() {
        vec!["claude".to_string()]
    } else {
        kinds.to_vec()
    };
    let known: Vec<&str> = COMMANDS.iter().map(|(k, _)| *k).collect();
    for k in &kinds {
        if !known.contains(&k.as_str()) {
            let near = crate::fleet::words::suggest(k, &known)
                .map(|n| format!("did you mean `{n}`? "))
                .unwrap_or_default();
            bail!(
                "--kind {k:?} is not a kind shoal knows; {near}use one of: {}",
                known.join(", ")
            );
        }
    }
    let mut out = format!(
        "# shoal fleet file: `shoal up` starts these agents and opens the console.\n\
         # Durations read like 500ms, 3s, 5m, 1h. Every key is in the README's fleet file reference.\n\
         [fleet]\n\
         name = \"{fleet}\"  # names the tmux socket `shoal-{fleet}` and the store\n\
         stall_timeout = \"5m\"  # nudge after this long without progress, warn at 2x, kill at 3x\n\
         poll_interval = \"1s\"  # how often the supervisor looks at the panes\n\
         # max_running = 8  # cap on running agents; the rest queue\n\
         # nudge_message = \"You seem stalled. Report your status, then continue.\"\n"
    );
    let mut lead: Option<String> = None;
    let mut used: Vec<String> = Vec::new();
    for kind in &kinds {
        let cmd = COMMANDS
            .iter()
            .find(|(k, _)| k == kind)
            .map_or("bash", |(_, c)| *c);
        let mut name = kind.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{kind}{n}");
            n += 1;
        }
        used.push(name.clone());
        out.push_str(&format!(
            "\n[[agent]]\nname = \"{name}\"\ncmd = \"{cmd}\"  # run by the pane's shell as written\nkind = \"{kind}\"\n# cwd = \"~/src/app\"  # where it starts\n# task = \"Describe the work\"  # first message, typed once the CLI is ready for input\n# stall_timeout = \"10m\"  # this agent's own\n"
        ));
        match &lead {
            None => lead = Some(name),
            Some(l) => out.push_str(&format!("parent = \"{l}\"  # shown under it in the tree\n")),
        }
    }
    Ok(out)
}

/// The demo's fleet under another name, its simulated agents run by this executable.
pub fn from_demo(fleet: &str) -> Result<String> {
    let exe = std::env::current_exe().context("cannot find the shoal executable")?;
    let sim = format!(
        "'{}' sim-agent",
        exe.display().to_string().replace('\'', r"'\''")
    );
    Ok(DEMO
        .replace("{sim}", &sim)
        .replace("name = \"demo\"", &format!("name = \"{fleet}\"")))
}

/// Write the starter file at `path`, never over an existing one.
pub fn run(path: &Path, name: Option<&str>, kinds: &[String], demo: bool) -> Result<i32> {
    if path.exists() {
        bail!(
            "{} exists already; shoal init never overwrites a fleet file: pass another path with -f FILE, or remove it first",
            path.display()
        );
    }
    let default_name = path
        .canonicalize()
        .ok()
        .or_else(|| std::env::current_dir().ok().map(|d| d.join(path)))
        .and_then(|p| p.parent()?.file_name()?.to_str().map(sanitize))
        .filter(|n| crate::fleet::file::check_name(n).is_ok())
        .unwrap_or_else(|| "fleet".to_string());
    let fleet = name.map_or(default_name, str::to_string);
    crate::fleet::file::check_name(&fleet).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
    let text = if demo {
        from_demo(&fleet)?
    } else {
        starter(&fleet, kinds)?
    };
    // The text must be a fleet file shoal reads; a broken starter is a bug here.
    crate::fleet::file::parse(path, &text).map_err(anyhow::Error::new)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    let flag = if path == Path::new("shoal.toml") {
        String::new()
    } else {
        format!(" -f {}", path.display())
    };
    println!(
        "wrote {}; edit it, then `shoal{flag} up` starts the fleet and opens the console",
        path.display()
    );
    Ok(0)
}

/// A directory name made into a fleet name: letters, digits, `-` and `_`.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_parses_with_one_agent_per_kind_under_the_first() {
        let text = starter("mine", &["claude".into(), "codex".into(), "codex".into()]).unwrap();
        let fleet = crate::fleet::file::parse(Path::new("shoal.toml"), &text).unwrap();
        assert_eq!(fleet.settings.name, "mine");
        let names: Vec<&str> = fleet.agents.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["claude", "codex", "codex2"]);
        assert_eq!(fleet.agents[0].parent, None);
        assert_eq!(fleet.agents[2].parent.as_deref(), Some("claude"));
        assert_eq!(fleet.agents[1].cmd, "codex");
    }

    #[test]
    fn an_unknown_kind_is_refused_with_the_near_one() {
        let e = starter("mine", &["claud".into()]).unwrap_err().to_string();
        assert!(e.contains("did you mean `claude`"), "{e}");
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shoal.toml");
        std::fs::write(&path, "keep me").unwrap();
        let e = run(&path, None, &[], false).unwrap_err().to_string();
        assert!(e.contains("exists already"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    }

    #[test]
    fn the_demo_copy_parses_and_is_named() {
        let text = from_demo("copy").unwrap();
        let fleet = crate::fleet::file::parse(Path::new("shoal.toml"), &text).unwrap();
        assert_eq!(fleet.settings.name, "copy");
        assert!(fleet.agents.iter().all(|a| a.cmd.contains("sim-agent")));
    }
}
