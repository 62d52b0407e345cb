use super::*;

fn kinds() -> Vec<String> {
    ["claude", "codex", "aider", "gemini", "shell"]
        .iter()
        .map(|s| (*s).to_string())
        .collect()
}

fn ok_draft() -> AgentDraft {
    AgentDraft {
        name: "w2".into(),
        cmd: "bash".into(),
        ..AgentDraft::default()
    }
}

fn check(d: &AgentDraft, dir: &Path) -> Result<(), DraftError> {
    let kinds = kinds();
    let taken = vec!["lead".to_string()];
    d.check(&DraftContext {
        kinds: &kinds,
        taken: &taken,
        fleet_dir: dir,
    })
}

#[test]
fn each_field_is_checked_with_the_fleet_files_rules() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(check(&ok_draft(), dir.path()), Ok(()));
    let cases: Vec<(AgentDraft, Field, &str)> = vec![
        (
            AgentDraft {
                name: "has space".into(),
                ..ok_draft()
            },
            Field::Name,
            "cannot be used",
        ),
        (
            AgentDraft {
                name: "_shoal".into(),
                ..ok_draft()
            },
            Field::Name,
            "reserved",
        ),
        (
            AgentDraft {
                name: "lead".into(),
                ..ok_draft()
            },
            Field::Name,
            "already in the fleet",
        ),
        (
            AgentDraft {
                kind: Some("cluade".into()),
                ..ok_draft()
            },
            Field::Kind,
            "did you mean `claude`?",
        ),
        (
            AgentDraft {
                cmd: "  ".into(),
                ..ok_draft()
            },
            Field::Command,
            "empty",
        ),
        (
            AgentDraft {
                cwd: Some("/no/such/dir".into()),
                ..ok_draft()
            },
            Field::Cwd,
            "\"/no/such/dir\" is not a directory",
        ),
        (
            AgentDraft {
                task: Some("stop\u{3}".into()),
                ..ok_draft()
            },
            Field::Task,
            "Ctrl-C",
        ),
        (
            AgentDraft {
                worktree: Some(WorktreeChoice::Branch("bad..name".into())),
                ..ok_draft()
            },
            Field::Worktree,
            "'..'",
        ),
        (
            AgentDraft {
                worktree: Some(WorktreeChoice::AgentBranch),
                cwd: Some(dir.path().display().to_string()),
                ..ok_draft()
            },
            Field::Worktree,
            "not inside a git repository",
        ),
    ];
    for (d, field, words) in cases {
        let e = check(&d, dir.path()).unwrap_err();
        assert_eq!(e.field, Some(field), "{e}");
        assert!(e.to_string().contains(words), "{e} lacks {words:?}");
    }
}

#[test]
fn a_worktree_draft_inside_a_repository_passes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
    let d = AgentDraft {
        worktree: Some(WorktreeChoice::AgentBranch),
        cwd: Some(dir.path().join("src/deep").display().to_string()),
        ..ok_draft()
    };
    assert_eq!(check(&d, Path::new("/")), Ok(()));
    assert_eq!(
        repo_root(&dir.path().join("src/deep")).as_deref(),
        Some(dir.path())
    );
    // Without cwd, the fleet file's directory is the repository.
    let d = AgentDraft {
        worktree: Some(WorktreeChoice::Branch("agent/w2".into())),
        ..ok_draft()
    };
    assert_eq!(check(&d, dir.path()), Ok(()));
}

#[test]
fn branch_names_follow_gits_rules_and_the_form_field_reads_naturally() {
    for good in ["w1", "agent/fix-login", "feat_2.x"] {
        assert_eq!(check_branch(good), Ok(()), "{good}");
    }
    for bad in [
        "", "-x", "a b", "a..b", "x/", "x.lock", "a:b", ".hidden", "HEAD",
    ] {
        assert!(check_branch(bad).is_err(), "{bad:?} passed");
    }
    assert_eq!(WorktreeChoice::from_field(""), None);
    assert_eq!(WorktreeChoice::from_field("no"), None);
    assert_eq!(
        WorktreeChoice::from_field("yes"),
        Some(WorktreeChoice::AgentBranch)
    );
    assert_eq!(
        WorktreeChoice::from_field(" feat/x "),
        Some(WorktreeChoice::Branch("feat/x".into()))
    );
    assert_eq!(WorktreeChoice::AgentBranch.branch("w3"), "w3");
}
