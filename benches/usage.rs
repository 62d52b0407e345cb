//! CPU cost of one usage round (the reader thread's work every 5 s) on a fleet of N
//! agents whose kind reads transcript files: N processes carrying the shoal environment
//! marker, each with its own HOME holding a Claude Code transcript, found through
//! `/proc` and read incrementally. The first round finds and reads everything; later
//! rounds find nothing new, which is the steady cost; a round after one line was
//! appended to every transcript is the cost of an answer per agent.
//!
//! Run with `cargo bench --bench usage`; `SHOAL_BENCH_N=100,1000` picks the sizes
//! (default 100,1000). Every process it starts is its own child and is killed at the end.

use shoal::usage::locate::ProcIndex;
use shoal::usage::worker::{Job, Meters};
use std::collections::HashSet;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TRANSCRIPT: &str = include_str!("../tests/fixtures/usage/claude-session.jsonl");

/// This process's CPU time (user + system, all threads).
fn cpu() -> Duration {
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

struct Kids(Vec<Child>);

impl Drop for Kids {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn main() {
    let sizes: Vec<usize> = std::env::var("SHOAL_BENCH_N").ok().map_or_else(
        || vec![100, 1000],
        |v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect(),
    );
    println!(
        "shoal usage bench: CPU ms of one usage round (reader thread), Claude Code transcripts"
    );
    for n in sizes {
        run(n);
    }
}

fn run(n: usize) {
    let dir = tempfile::tempdir().expect("tempdir");
    let fleet = format!("ubench{}", std::process::id());
    let mut kids = Kids(Vec::new());
    let mut jobs = Vec::new();
    let started_ms = 0;
    for i in 0..n {
        let name = format!("a{i:04}");
        let home = dir.path().join(&name);
        let cwd = home.join("work");
        std::fs::create_dir_all(&cwd).unwrap();
        let project = home
            .join(".claude/projects")
            .join(shoal::usage::locate::claude_project_dir(&cwd));
        std::fs::create_dir_all(&project).unwrap();
        std::fs::write(project.join("s.jsonl"), TRANSCRIPT).unwrap();
        let child = Command::new("sleep")
            .arg("100000")
            .current_dir(&cwd)
            .env_clear()
            .env("HOME", &home)
            .env("SHOAL_FLEET", &fleet)
            .env("SHOAL_AGENT", &name)
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        kids.0.push(child);
        jobs.push(Job {
            agent: name,
            attempt: 1,
            kind: "claude".into(),
            screen_regex: None,
            started_ms,
            capture: None,
            session_regex: None,
        });
    }
    let wanted: HashSet<&str> = jobs.iter().map(|j| j.agent.as_str()).collect();
    let mut index = ProcIndex::default();
    let mut meters = Meters::default();
    let mut round = |label: &str| {
        let (c0, t0) = (cpu(), Instant::now());
        let procs = index.scan(&fleet, &wanted);
        let reports = meters.round(&jobs, &procs);
        let (c, t) = (cpu().checked_sub(c0).unwrap(), t0.elapsed());
        println!(
            "N={n:<5} {label:<22} cpu {:>7.2} ms  wall {:>7.2} ms  {} agents found, {} reports",
            c.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e3,
            procs.len(),
            reports.len()
        );
        reports.len()
    };
    round("first (find + read)");
    for _ in 0..3 {
        round("steady (nothing new)");
    }
    let line = TRANSCRIPT
        .lines()
        .find(|l| l.contains("\"output_tokens\""))
        .unwrap();
    let fresh = line.replacen("msg_", "msg_bench", 1);
    for i in 0..n {
        let p = dir.path().join(format!("a{i:04}")).join(".claude/projects");
        let d = std::fs::read_dir(&p)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(d.join("s.jsonl"))
            .unwrap();
        writeln!(f, "{fresh}").unwrap();
    }
    let changed = round("one answer per agent");
    assert_eq!(changed, n, "every agent's new answer is reported");
}
