//! The store holds what agents printed (their final screens, their output): it is
//! created readable by its owner only, and an existing one that others can read is
//! reported with the command that fixes it.

use std::fs::{DirBuilder, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Mode of directories shoal creates for its data.
pub const DIR_MODE: u32 = 0o700;
/// Mode of store files (SQLite gives the `-wal` and `-shm` files the same).
pub const FILE_MODE: u32 = 0o600;

/// Create `dir` and any missing parents, owner-only.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// Create the store file owner-only if it does not exist yet, before SQLite opens it,
/// so that its journal files inherit the mode.
pub fn create_file(path: &Path) -> std::io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Err(e) if e.kind() != ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Open a file for appending (a log of what agents did), creating it owner-only.
pub fn append(path: &Path) -> std::io::Result<std::fs::File> {
    OpenOptions::new()
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .open(path)
}

/// One line per file of the store (and its directory) that other users can read or
/// write, each with the `chmod` that fixes it.
pub fn exposure(store: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(dir) = store.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Some(mode) = loose(dir) {
            out.push(format!(
                "the data directory {} can be read by other users (mode {mode:o}): `chmod 700 {}` fixes it",
                dir.display(),
                dir.display()
            ));
        }
    }
    let files: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|s| PathBuf::from(format!("{}{s}", store.display())))
        .collect();
    let exposed: Vec<(&PathBuf, u32)> = files
        .iter()
        .filter_map(|f| loose(f).map(|m| (f, m)))
        .collect();
    if let Some((first, mode)) = exposed.first() {
        out.push(format!(
            "the store {} can be read by other users (mode {mode:o}), and it holds what agents printed: `chmod 600 {}*` fixes it",
            first.display(),
            store.display()
        ));
    }
    out
}

/// One line per config file or folder that other users can change, with the fix: the
/// config names the notification command, which runs as the operator.
pub fn config_exposure(config_dir: &Path) -> Vec<String> {
    [config_dir.to_path_buf(), config_dir.join("config.toml")]
        .iter()
        .filter_map(|p| {
            let mode = std::fs::metadata(p).ok()?.permissions().mode() & 0o777;
            (mode & 0o022 != 0).then(|| {
                format!(
                    "{} can be changed by other users (mode {mode:o}), and the config's notification command runs as you: `chmod go-w {}` fixes it",
                    p.display(),
                    p.display()
                )
            })
        })
        .collect()
}

/// The permission bits of `path` when group or others have any access to it.
fn loose(path: &Path) -> Option<u32> {
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_fresh_store_and_its_journal_files_are_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("a/b/home");
        create_dir(&home).unwrap();
        let store = home.join("f.sqlite");
        let s = crate::store::Store::open(&store).unwrap();
        // A write while the connection is open: the WAL and shared-memory files exist.
        s.try_lease(1, 0, 1).unwrap().unwrap();
        assert_eq!(mode(&home), DIR_MODE);
        assert_eq!(mode(&tmp.path().join("a")), DIR_MODE);
        for suffix in ["", "-wal", "-shm"] {
            let f = PathBuf::from(format!("{}{suffix}", store.display()));
            assert_eq!(mode(&f), FILE_MODE, "{}", f.display());
        }
        assert_eq!(exposure(&store), Vec::<String>::new());
    }

    #[test]
    fn a_config_others_can_change_is_reported() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("config.toml");
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666)).unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let got = config_exposure(tmp.path());
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].contains("config.toml can be changed by other users (mode 666)"),
            "{got:?}"
        );
        assert!(got[0].ends_with(&format!("`chmod go-w {}` fixes it", file.display())));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(config_exposure(tmp.path()).is_empty());
    }

    #[test]
    fn an_exposed_store_is_reported_with_the_fix() {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("f.sqlite");
        std::fs::write(&store, "").unwrap();
        std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o644)).unwrap();
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let got = exposure(&store);
        let d = tmp.path().display();
        assert_eq!(
            got,
            [
                format!("the data directory {d} can be read by other users (mode 755): `chmod 700 {d}` fixes it"),
                format!("the store {d}/f.sqlite can be read by other users (mode 644), and it holds what agents printed: `chmod 600 {d}/f.sqlite*` fixes it"),
            ]
        );
    }
}
