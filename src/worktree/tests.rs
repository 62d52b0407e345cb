use super::*;

/// A repository with one commit, made with the real git.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir.path())
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@t",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    run(&["init", "-q"]);
    std::fs::write(dir.path().join("README"), "hello\n").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "fn a() {}\n").unwrap();
    run(&["add", "."]);
    run(&["commit", "-q", "-m", "first"]);
    dir
}

fn tree(repo: &Path, home: &Path, branch: &str) -> Worktree {
    Worktree {
        repo: repo.to_path_buf(),
        branch: branch.into(),
        path: home.join("worktrees/fleet/w1"),
        subdir: PathBuf::from("src"),
    }
}

#[test]
fn a_worktree_is_made_once_reused_and_kept_while_it_has_changes() {
    let repo = repo();
    let home = tempfile::tempdir().unwrap();
    let w = tree(repo.path(), home.path(), "w1");
    assert_eq!(ensure(&w), Ok(Ensured::CreatedBranch));
    assert!(
        w.cwd().join("lib.rs").is_file(),
        "checked out into the worktree"
    );
    assert_eq!(ensure(&w), Ok(Ensured::Reused));
    let branch = git(&w.path, &["branch", "--show-current"], "t").unwrap();
    assert_eq!(branch.trim(), "w1");
    // Uncommitted work keeps it, and says which paths.
    std::fs::write(w.path.join("notes.txt"), "wip\n").unwrap();
    assert_eq!(
        remove(&w, false),
        Ok(Removed::KeptDirty(vec!["notes.txt".into()]))
    );
    assert!(w.path.is_dir());
    // Forced, it goes; the branch stays in the repository.
    assert_eq!(remove(&w, true), Ok(Removed::Deleted));
    assert!(!w.path.exists());
    assert!(git(
        repo.path(),
        &["rev-parse", "--verify", "refs/heads/w1"],
        "t"
    )
    .is_ok());
    assert_eq!(remove(&w, false), Ok(Removed::Absent));
    // The branch exists now: a new worktree checks it out instead of making it.
    assert_eq!(ensure(&w), Ok(Ensured::Created));
    assert_eq!(remove(&w, false), Ok(Removed::Deleted));
}

#[test]
fn a_worktree_deleted_by_hand_is_made_again() {
    let repo = repo();
    let home = tempfile::tempdir().unwrap();
    let w = tree(repo.path(), home.path(), "agent/w1");
    ensure(&w).unwrap();
    std::fs::remove_dir_all(&w.path).unwrap();
    assert_eq!(ensure(&w), Ok(Ensured::Created));
    assert!(w.cwd().is_dir());
}

#[test]
fn git_failures_come_back_in_gits_words() {
    let repo = repo();
    let home = tempfile::tempdir().unwrap();
    let w = tree(repo.path(), home.path(), "main");
    // `main` is checked out in the repository itself: git refuses a second checkout.
    let e = ensure(&w).unwrap_err();
    assert!(e.what.contains("on branch main"), "{e}");
    assert!(e.detail.contains("main"), "{e}");
    let not_repo = tempfile::tempdir().unwrap();
    let w = tree(not_repo.path(), home.path(), "x");
    assert!(ensure(&w).is_err());
}

#[test]
fn the_diff_has_the_stat_the_untracked_files_and_the_changes() {
    let repo = repo();
    assert_eq!(
        diff(repo.path()).unwrap().unwrap(),
        "no changes since the last commit\n"
    );
    std::fs::write(repo.path().join("README"), "hello\nworld\n").unwrap();
    std::fs::write(repo.path().join("new.txt"), "x\n").unwrap();
    let d = diff(repo.path()).unwrap().unwrap();
    let stat = d.find("README | 1 +").expect(&d);
    let untracked = d.find("new.txt (untracked)").expect(&d);
    let body = d.find("+world").expect(&d);
    assert!(stat < untracked && untracked < body, "{d}");
    let plain = tempfile::tempdir().unwrap();
    assert_eq!(diff(plain.path()), Ok(None));
    assert!(diff(&plain.path().join("missing")).is_err());
}
