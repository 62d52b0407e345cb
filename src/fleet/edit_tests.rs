use super::*;
use crate::fleet::draft::{AgentDraft, WorktreeChoice};
use std::path::Path;

const FILE: &str = r#"# My fleet: two workers.
[fleet]
name = "team"   # the tmux socket is shoal-team
stall_timeout = "5m"

# The lead plans.
[[agent]]
name = "lead"
cmd = "claude"    # keep this comment

# Workers below.

# w1 fixes tests.
[[agent]]
name = "w1"
cmd = 'aider --yes'
parent = "lead"

# Hosts come last.
[[host]]
name = "gpu"
ssh = "me@gpu"
"#;

fn draft(name: &str) -> AgentDraft {
    AgentDraft {
        name: name.into(),
        kind: Some("shell".into()),
        cmd: "bash -l".into(),
        cwd: Some("/tmp".into()),
        task: Some("say \"hi\"\nthen wait".into()),
        parent: None,
        worktree: None,
    }
}

#[test]
fn adding_keeps_every_comment_and_lands_after_the_last_agent() {
    let out = add_agent(FILE, &draft("w2")).unwrap();
    // Everything that was there is still there, byte for byte, in order.
    let mut rest = out.as_str();
    for line in FILE.lines() {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("lost {line:?} in\n{out}"));
        rest = &rest[at + line.len()..];
    }
    let block = out.find("name = \"w2\"").unwrap();
    assert!(block > out.find("parent = \"lead\"").unwrap(), "{out}");
    assert!(block < out.find("[[host]]").unwrap(), "{out}");
    // The real parser reads the result, with the new agent as written.
    let f = crate::fleet::file::parse(Path::new("t.toml"), &out).unwrap();
    let names: Vec<&str> = f.agents.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["lead", "w1", "w2"]);
    let w2 = f.agent("w2").unwrap();
    assert_eq!(w2.cmd, "bash -l");
    assert_eq!(w2.kind.as_deref(), Some("shell"));
    assert_eq!(w2.task.as_deref(), Some("say \"hi\"\nthen wait"));
    assert_eq!(f.settings.hosts.len(), 1);
}

#[test]
fn adding_to_a_file_without_agents_makes_the_first_block() {
    let text = "# nothing yet\n[fleet]\nname = \"solo\"\n";
    let mut d = draft("a1");
    d.worktree = Some(WorktreeChoice::Branch("feat/x".into()));
    d.cwd = None;
    let out = add_agent(text, &d).unwrap();
    assert!(
        out.starts_with("# nothing yet\n[fleet]\nname = \"solo\"\n"),
        "{out}"
    );
    assert!(out.contains("\n[[agent]]\nname = \"a1\""), "{out}");
    assert!(out.contains("worktree = \"feat/x\""), "{out}");
    let mut d = draft("a2");
    d.worktree = Some(WorktreeChoice::AgentBranch);
    let out = add_agent(&out, &d).unwrap();
    assert!(out.contains("worktree = true"), "{out}");
    assert!(out.find("a1").unwrap() < out.find("a2").unwrap());
}

#[test]
fn removing_takes_the_block_and_its_own_comment_and_keeps_the_rest() {
    let out = remove_agent(FILE, "w1").unwrap();
    assert!(!out.contains("w1"), "{out}");
    assert!(!out.contains("aider"), "{out}");
    for kept in [
        "# My fleet: two workers.",
        "name = \"team\"   # the tmux socket is shoal-team",
        "# The lead plans.",
        "cmd = \"claude\"    # keep this comment",
        "# Workers below.",
        "# Hosts come last.",
        "[[host]]",
    ] {
        assert!(out.contains(kept), "lost {kept:?} in\n{out}");
    }
    let f = crate::fleet::file::parse(Path::new("t.toml"), &out).unwrap();
    assert_eq!(f.agents.len(), 1);
    // The first agent, then none: the file still parses.
    let out = remove_agent(&out, "lead").unwrap();
    assert!(!out.contains("[[agent]]"), "{out}");
    assert!(out.contains("# Workers below."), "{out}");
    let f = crate::fleet::file::parse(Path::new("t.toml"), &out).unwrap();
    assert!(f.agents.is_empty());
}

#[test]
fn round_trip_add_then_remove_gives_the_file_back() {
    let added = add_agent(FILE, &draft("w2")).unwrap();
    let back = remove_agent(&added, "w2").unwrap();
    assert_eq!(back, FILE);
}

#[test]
fn unknown_names_and_broken_files_are_refused_with_what_to_do() {
    assert_eq!(
        remove_agent(FILE, "nobody"),
        Err(EditError::NotDeclared("nobody".into()))
    );
    let e = add_agent("[fleet\nname=1", &draft("x")).unwrap_err();
    assert!(e.to_string().contains("fix it first"), "{e}");
    let inline = "agent = [{ name = \"a\", cmd = \"x\" }]\n[fleet]\nname = \"f\"\n";
    assert_eq!(add_agent(inline, &draft("b")), Err(EditError::Shape));
}
