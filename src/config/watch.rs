//! Hot reload: watch files and folders, wait until an edit settles, re-read everything
//! with a reload function and publish the result (latest wins). What to keep when a
//! file is bad is the reload function's business; the watcher only says "look again".

use notify::{RecursiveMode, Watcher};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long edits must be quiet before a reload: editors write a file in several steps
/// (truncate, write, rename), and a reload in the middle would see half a file.
pub const DEBOUNCE: Duration = Duration::from_millis(500);

/// Something to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One file; its folder is watched, since editors replace files by renaming.
    File(PathBuf),
    /// A folder and everything in it.
    Dir(PathBuf),
}

/// A running watcher; dropping it stops the thread.
pub struct Watch {
    watcher: Arc<Mutex<Option<notify::RecommendedWatcher>>>,
    join: Option<JoinHandle<()>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        // Dropping the notify watcher closes its channel, which ends the thread.
        if let Ok(mut w) = self.watcher.lock() {
            w.take();
        }
        if let Some(j) = self.join.take() {
            let _ = j.join();
        }
    }
}

/// The watcher could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot watch for config changes: {0}; changes are picked up after a restart")]
pub struct WatchError(#[from] notify::Error);

/// Watch `targets`; after each settled change run `reload` on the watcher's thread and
/// publish its value. The channel starts with `initial`.
pub fn spawn<T, F>(
    targets: &[Target],
    debounce: Duration,
    initial: T,
    mut reload: F,
) -> Result<(Watch, tokio::sync::watch::Receiver<Arc<T>>), WatchError>
where
    T: Send + Sync + 'static,
    F: FnMut() -> T + Send + 'static,
{
    let targets: Vec<Target> = targets.iter().map(absolute).collect();
    let (ev_tx, ev_rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(move |ev| {
        let _ = ev_tx.send(ev);
    })?;
    for t in &targets {
        let (dir, mode) = match t {
            Target::File(f) => (
                f.parent().map(Path::to_path_buf),
                RecursiveMode::NonRecursive,
            ),
            Target::Dir(d) if d.is_dir() => (Some(d.clone()), RecursiveMode::Recursive),
            // A folder that does not exist yet: its parent shows it being created.
            Target::Dir(d) => (
                d.parent().map(Path::to_path_buf),
                RecursiveMode::NonRecursive,
            ),
        };
        if let Some(dir) = dir.filter(|d| d.is_dir()) {
            watcher.watch(&dir, mode)?;
        }
    }
    let watcher = Arc::new(Mutex::new(Some(watcher)));
    let shared = Arc::clone(&watcher);
    let (tx, rx) = tokio::sync::watch::channel(Arc::new(initial));
    let join = std::thread::Builder::new()
        .name("shoal-watch".into())
        .spawn(move || {
            let mut due: Option<Instant> = None;
            loop {
                let wait = due.map_or(Duration::from_secs(3600), |d| {
                    d.saturating_duration_since(Instant::now())
                });
                match ev_rx.recv_timeout(wait) {
                    // Reading a file (ours included) is not a change.
                    Ok(Ok(ev)) if ev.kind.is_access() => {}
                    Ok(Ok(ev)) => {
                        if ev.paths.iter().any(|p| relevant(&targets, p)) {
                            due = Some(Instant::now() + debounce);
                        }
                        if ev.kind.is_create() {
                            watch_new_dirs(&shared, &targets, &ev.paths);
                        }
                    }
                    // The watcher lost track (queue overflow): look again to be safe.
                    Ok(Err(_)) => due = Some(Instant::now() + debounce),
                    Err(RecvTimeoutError::Timeout) => {
                        if due.take().is_some() {
                            tx.send_replace(Arc::new(reload()));
                        }
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })
        .map_err(|e| WatchError(notify::Error::io(e)))?;
    Ok((
        Watch {
            watcher,
            join: Some(join),
        },
        rx,
    ))
}

/// A watched folder that was just created: watch inside it too, so files written into
/// it later are seen.
fn watch_new_dirs(
    watcher: &Mutex<Option<notify::RecommendedWatcher>>,
    targets: &[Target],
    paths: &[PathBuf],
) {
    for t in targets {
        if let Target::Dir(d) = t {
            if paths.iter().any(|p| p == d) && d.is_dir() {
                if let Ok(mut guard) = watcher.lock() {
                    if let Some(w) = guard.as_mut() {
                        let _ = w.watch(d, RecursiveMode::Recursive);
                    }
                }
            }
        }
    }
}

/// notify reports absolute, symlink-resolved paths: resolve the targets the same way.
fn absolute(t: &Target) -> Target {
    let resolve = |p: &Path| -> PathBuf {
        if let Ok(c) = std::fs::canonicalize(p) {
            return c;
        }
        match (p.parent(), p.file_name()) {
            (Some(parent), Some(name)) => {
                let parent = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
                std::fs::canonicalize(parent).map_or_else(|_| p.to_path_buf(), |d| d.join(name))
            }
            _ => p.to_path_buf(),
        }
    };
    match t {
        Target::File(f) => Target::File(resolve(f)),
        Target::Dir(d) => Target::Dir(resolve(d)),
    }
}

fn relevant(targets: &[Target], path: &Path) -> bool {
    targets.iter().any(|t| match t {
        Target::File(f) => path == f,
        Target::Dir(d) => path.starts_with(d),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn wait_for<T>(rx: &mut tokio::sync::watch::Receiver<Arc<T>>, within: Duration) -> bool {
        let t0 = Instant::now();
        while t0.elapsed() < within {
            if rx.has_changed().unwrap_or(false) {
                rx.borrow_and_update();
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn a_settled_edit_reloads_once_and_unrelated_files_do_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shoal.toml");
        std::fs::write(&file, "a").unwrap();
        let count = Arc::new(AtomicUsize::new(0));
        let c = count.clone();
        let (_w, mut rx) = spawn(
            &[Target::File(file.clone())],
            Duration::from_millis(100),
            0,
            move || c.fetch_add(1, Ordering::SeqCst) + 1,
        )
        .unwrap();
        std::fs::write(dir.path().join("other.txt"), "x").unwrap();
        assert!(
            !wait_for(&mut rx, Duration::from_millis(400)),
            "unrelated file"
        );
        for n in 0..5 {
            std::fs::write(&file, format!("edit {n}")).unwrap();
        }
        assert!(wait_for(&mut rx, Duration::from_secs(2)), "edit not seen");
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            count.load(Ordering::SeqCst),
            1,
            "a burst of writes is one reload"
        );
    }

    #[test]
    fn a_folder_created_later_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        let themes = dir.path().join("themes");
        let (_w, mut rx) = spawn(
            &[Target::Dir(themes.clone())],
            Duration::from_millis(50),
            (),
            || (),
        )
        .unwrap();
        std::fs::create_dir(&themes).unwrap();
        assert!(
            wait_for(&mut rx, Duration::from_secs(2)),
            "folder creation not seen"
        );
        std::thread::sleep(Duration::from_millis(100));
        std::fs::write(themes.join("mine.toml"), "x").unwrap();
        assert!(
            wait_for(&mut rx, Duration::from_secs(2)),
            "file in the new folder not seen"
        );
    }
}
