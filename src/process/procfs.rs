//! Reading processes from Linux `/proc`: one `stat` file per process gives its parent,
//! process group, session, state and start time; `environ` gives the environment it
//! was started with.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcInfo {
    /// Process id.
    pub pid: u32,
    /// Parent's pid (1 or a subreaper once the parent died).
    pub ppid: u32,
    /// Process group id.
    pub pgid: u32,
    /// Session id.
    pub sid: u32,
    /// State letter: `R`, `S`, `D` (uninterruptible), `T`, `Z` (zombie), …
    pub state: char,
    /// Start time in clock ticks after boot; with the pid it names one process for
    /// the machine's uptime, so a reused pid is never taken for the old process.
    pub start: u64,
    /// The executable's name as the kernel keeps it (at most 15 bytes).
    pub comm: String,
}

impl ProcInfo {
    /// A zombie or dead entry: it runs nothing any more; only its parent's reaping is
    /// missing.
    pub fn is_gone(&self) -> bool {
        matches!(self.state, 'Z' | 'X' | 'x')
    }

    /// A kernel thread (child of `kthreadd`), which no signal can end.
    pub fn is_kernel(&self) -> bool {
        self.pid == 2 || self.ppid == 2
    }
}

/// Parse the text of `/proc/PID/stat`. The name sits in parentheses and may itself
/// contain spaces and parentheses, so the fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcInfo> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let rest: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    // rest[0] is field 3 (state); starttime is field 22.
    let field = |i: usize| rest.get(i).and_then(|f| f.parse::<u64>().ok());
    Some(ProcInfo {
        pid,
        state: rest.first()?.chars().next()?,
        ppid: u32::try_from(field(1)?).ok()?,
        pgid: u32::try_from(field(2)?).ok()?,
        sid: u32::try_from(field(3)?).ok()?,
        start: field(19)?,
        comm,
    })
}

fn proc_dir(pid: u32) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}"))
}

/// The process with this pid now, if there is one.
pub fn read(pid: u32) -> Option<ProcInfo> {
    let text = std::fs::read_to_string(proc_dir(pid).join("stat")).ok()?;
    parse_stat(&text)
}

/// Every process on the machine now, by pid. Processes that exit while the
/// directory is read are simply missing.
pub fn scan() -> HashMap<u32, ProcInfo> {
    let mut all = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return all;
    };
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(info) = read(pid) {
            all.insert(pid, info);
        }
    }
    all
}

/// The user owning the process, as `/proc/PID` is owned.
pub fn uid_of(pid: u32) -> Option<u32> {
    std::fs::metadata(proc_dir(pid)).ok().map(|m| m.uid())
}

/// Whether the environment the process started with holds every `NAME=value` pair.
/// Another user's process (unreadable) never matches.
pub fn environ_has(pid: u32, pairs: &[(String, String)]) -> bool {
    if pairs.is_empty() {
        return false;
    }
    let Ok(raw) = std::fs::read(proc_dir(pid).join("environ")) else {
        return false;
    };
    let entries: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
    pairs.iter().all(|(k, v)| {
        let want = format!("{k}={v}");
        entries.contains(&want.as_bytes())
    })
}

/// This process and every ancestor up to init: never signalled, whatever matches.
pub fn own_lineage() -> Vec<u32> {
    let mut out = Vec::new();
    let mut pid = std::process::id();
    while pid > 1 && !out.contains(&pid) {
        out.push(pid);
        match read(pid) {
            Some(p) => pid = p.ppid,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_hostile_name() {
        let line = "4242 (a) b (c)) S 7 4242 4242 34816 4242 4194560 1 0 0 0 0 0 0 0 20 0 1 0 \
                    987654 1000 100 18446744073709551615";
        let p = parse_stat(line).unwrap();
        assert_eq!(p.pid, 4242);
        assert_eq!(p.comm, "a) b (c)");
        assert_eq!((p.state, p.ppid, p.pgid, p.sid), ('S', 7, 4242, 4242));
        assert_eq!(p.start, 987_654);
        assert!(parse_stat("12 (x) S 1").is_none());
        assert!(parse_stat("garbage").is_none());
    }

    #[test]
    fn reads_this_process_and_its_lineage() {
        let me = read(std::process::id()).expect("own stat");
        assert_eq!(me.pid, std::process::id());
        assert!(!me.is_gone());
        assert!(scan().contains_key(&me.pid));
        let lineage = own_lineage();
        assert_eq!(lineage.first(), Some(&me.pid));
        assert!(lineage.contains(&me.ppid) || me.ppid <= 1);
    }

    #[test]
    fn environ_matches_every_pair_or_nothing() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .env("SHOAL_TEST_MARK", "yes")
            .env("SHOAL_TEST_OTHER", "1")
            .spawn()
            .unwrap();
        let pid = child.id();
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        // Until the child execs, /proc shows the environment it forked with; on a
        // loaded machine that can take a while.
        let t0 = std::time::Instant::now();
        let mut found = false;
        while !found && t0.elapsed() < std::time::Duration::from_secs(20) {
            std::thread::sleep(std::time::Duration::from_millis(10));
            found = environ_has(pid, &[pair("SHOAL_TEST_MARK", "yes")]);
        }
        let seen = read(pid);
        let both = environ_has(
            pid,
            &[
                pair("SHOAL_TEST_MARK", "yes"),
                pair("SHOAL_TEST_OTHER", "1"),
            ],
        );
        let wrong = environ_has(pid, &[pair("SHOAL_TEST_MARK", "ye")]);
        let none = environ_has(pid, &[]);
        let _ = child.kill();
        let _ = child.wait();
        assert!(found && both, "child {pid} as seen: {seen:?}");
        assert!(!wrong && !none);
    }
}
