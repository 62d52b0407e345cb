//! What the one-shot fallback costs: one poll (a pane listing plus a capture of every
//! pane) on one tmux server, through the control-mode client, through packed one-shot
//! commands (the fallback when the control client keeps missing its deadline), and
//! through one `tmux capture-pane` process per pane (the naive way), side by side.
//!
//! Run with `cargo bench --bench fallback`. `SHOAL_BENCH_PANES=100,300` picks the pane
//! counts (default 100,300), `SHOAL_BENCH_ROUNDS=15` the measured polls per way. Each
//! server is private to the run and killed at the end, also on panic.

use shoal::tmux::{Batched, ControlClient, OneShot, Server, TmuxBackend, WindowSpec};
use std::time::{Duration, Instant};

/// Kills the bench's server when dropped.
struct Guard(String);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Server::new(self.0.clone()).kill();
        // tmux 3.3a leaves its socket file behind; it is this run's alone.
        let _ = std::fs::remove_file(shoal::tmux::sockets::socket_dir().join(&self.0));
    }
}

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(name)
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| default.to_vec())
}

/// CPU nanoseconds of this process and its reaped children (the one-shot clients).
fn cpu_ns() -> u64 {
    let ns = |who| {
        // SAFETY: getrusage only writes into the struct we hand it.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(who, &mut ru) } != 0 {
            return 0;
        }
        let t = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1000;
        t(ru.ru_utime) + t(ru.ru_stime)
    };
    ns(libc::RUSAGE_SELF) + ns(libc::RUSAGE_CHILDREN)
}

/// CPU nanoseconds of a live single-threaded process (the tmux server).
fn schedstat_ns(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/schedstat"))
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median wall and CPU (shoal + clients + server) milliseconds of one poll.
fn measure(b: &mut dyn TmuxBackend, panes: &[String], server: u32, rounds: usize) -> (f64, f64) {
    let (mut wall, mut cpu) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let (c0, s0, t0) = (cpu_ns(), schedstat_ns(server), Instant::now());
        b.poll_panes().expect("listing");
        let screens = b.capture_panes(panes).expect("captures");
        assert!(screens.iter().all(Option::is_some), "a pane vanished");
        wall.push(t0.elapsed().as_secs_f64() * 1000.0);
        let used = cpu_ns() - c0 + schedstat_ns(server) - s0;
        cpu.push(used as f64 / 1e6);
    }
    (median(wall), median(cpu))
}

fn main() {
    let rounds = env_list("SHOAL_BENCH_ROUNDS", &[15])[0].max(1);
    println!("one poll (listing + every pane captured), median of {rounds}");
    println!(
        "{:>6} | {:>22} | {:>22} | {:>22}",
        "panes", "control mode", "packed one-shot", "one process per pane"
    );
    for n in env_list("SHOAL_BENCH_PANES", &[100, 300]) {
        let socket = format!("shoal-benchfb{}n{n}", std::process::id());
        let _guard = Guard(socket.clone());
        Server::new(socket.clone())
            .ensure_started(200, 50)
            .expect("start tmux");
        let mut control = ControlClient::connect(&socket).expect("control client");
        let panes: Vec<String> = (0..n)
            .map(|i| {
                let spec = WindowSpec {
                    name: format!("p{i}"),
                    cmd: format!("seq 1 40; echo pane {i}; sleep 100000"),
                    cwd: None,
                    env: vec![],
                    agent: format!("p{i}"),
                    attempt: 1,
                };
                control.new_window(&spec).expect("new window")
            })
            .collect();
        std::thread::sleep(Duration::from_secs(2));
        let server = Server::new(socket.clone());
        assert!(server.is_running());
        let pid: u32 = std::process::Command::new("tmux")
            .args(["-L", &socket, "display-message", "-p", "#{pid}"])
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .expect("server pid");
        let fmt = |(w, c): (f64, f64)| format!("{w:7.1} ms, cpu {c:7.1} ms");
        let ctl = measure(&mut control, &panes, pid, rounds);
        let mut packed = Batched::new(socket.clone(), Duration::from_secs(30));
        let pk = measure(&mut packed, &panes, pid, rounds);
        let mut naive = OneShot::new(socket.clone());
        let nv = measure(&mut naive, &panes, pid, rounds.min(5));
        println!("{n:>6} | {} | {} | {}", fmt(ctl), fmt(pk), fmt(nv));
        control.close();
    }
}
