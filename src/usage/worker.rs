//! The usage reader off the supervisor's thread: the tick hands it the attempts to look
//! at every few seconds and takes back the totals that changed, never waiting on it.

use super::ledger::Totals;
use super::locate::{ProcEnv, ProcIndex};
use super::meter::{AttemptMeter, Source};
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;

/// One attempt to read usage for.
#[derive(Debug, Clone)]
pub struct Job {
    /// Agent name.
    pub agent: String,
    /// Attempt number.
    pub attempt: u32,
    /// Detection profile name.
    pub kind: String,
    /// The profile's usage screen regex, if it names one.
    pub screen_regex: Option<String>,
    /// When the attempt started (unix ms): older files are not its own.
    pub started_ms: i64,
    /// Its latest capture, for screen sources.
    pub capture: Option<Arc<str>>,
    /// The profile's regex over transcript file names whose `session` group is the
    /// CLI's session id (`[session] discover`).
    pub session_regex: Option<String>,
}

/// The usage of one attempt, sent when it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Agent name.
    pub agent: String,
    /// Attempt number.
    pub attempt: u32,
    /// Tokens per model so far.
    pub totals: Totals,
    /// The cost the screen printed, when it wins over prices.
    pub screen_cost: Option<f64>,
    /// Unreadable lines skipped so far, and a note on the last one.
    pub skipped: u64,
    /// What is wrong with the last skipped line, or with the source.
    pub note: Option<String>,
    /// The CLI's session id, from the newest of the attempt's transcript file names.
    pub session: Option<String>,
}

/// Every attempt's meter, and which files each one reads (a file is one attempt's).
#[derive(Debug, Default)]
pub struct Meters {
    attempts: HashMap<(String, u32), AttemptMeter>,
    last: HashMap<(String, u32), Report>,
    /// Compiled session patterns (`None`: did not compile).
    patterns: HashMap<String, Option<regex::Regex>>,
}

impl Meters {
    /// Read `jobs` given each agent's live processes; attempts not among the jobs are
    /// forgotten. Returns the reports that differ from the last ones sent.
    pub fn round(&mut self, jobs: &[Job], procs: &HashMap<String, Vec<ProcEnv>>) -> Vec<Report> {
        let wanted: HashSet<(String, u32)> =
            jobs.iter().map(|j| (j.agent.clone(), j.attempt)).collect();
        self.attempts.retain(|k, _| wanted.contains(k));
        self.last.retain(|k, _| wanted.contains(k));
        let mut out = Vec::new();
        // Which attempt reads each file, built once a round: a file is one attempt's.
        let mut owners: HashMap<PathBuf, (String, u32)> = self
            .attempts
            .iter()
            .flat_map(|(k, m)| m.files().map(move |f| (f.clone(), k.clone())))
            .collect();
        for job in jobs {
            let key = (job.agent.clone(), job.attempt);
            let meter = self.attempts.entry(key.clone()).or_insert_with(|| {
                AttemptMeter::new(
                    Source::of(&job.kind, job.screen_regex.as_deref()),
                    job.started_ms,
                    job.screen_regex.as_deref(),
                )
            });
            let none = Vec::new();
            let live = procs.get(&job.agent).unwrap_or(&none);
            let taken = |f: &std::path::Path| owners.get(f).is_some_and(|o| *o != key);
            meter.refresh(live, &taken, job.capture.as_deref());
            for f in meter.files() {
                owners.entry(f.clone()).or_insert_with(|| key.clone());
            }
            let (skipped, note) = meter.skipped();
            let report = Report {
                agent: job.agent.clone(),
                attempt: job.attempt,
                totals: meter.totals(),
                screen_cost: meter.screen_cost(),
                skipped,
                note: note.or_else(|| meter.problem.clone()),
                session: job
                    .session_regex
                    .as_deref()
                    .and_then(|re| session_in(&mut self.patterns, re, meter.files())),
            };
            if report.totals.is_empty() && report.note.is_none() && report.session.is_none() {
                continue;
            }
            if self.last.get(&key) != Some(&report) {
                self.last.insert(key, report.clone());
                out.push(report);
            }
        }
        out
    }
}

/// The session id in the newest (greatest) file name that `pattern` matches, with the
/// pattern compiled once (profiles are checked when loaded).
fn session_in<'a>(
    patterns: &mut HashMap<String, Option<regex::Regex>>,
    pattern: &str,
    files: impl Iterator<Item = &'a PathBuf>,
) -> Option<String> {
    let re = patterns
        .entry(pattern.to_string())
        .or_insert_with(|| regex::Regex::new(pattern).ok())
        .as_ref()?;
    files
        .filter_map(|f| f.file_name()?.to_str())
        .filter_map(|name| Some((name, re.captures(name)?.name("session")?.as_str())))
        .max_by_key(|(name, _)| *name)
        .map(|(_, id)| id.to_string())
}

/// The reader thread.
pub struct Worker {
    jobs: Option<Sender<Vec<Job>>>,
    reports: Receiver<Vec<Report>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    /// Start the thread for the agents of `fleet`.
    pub fn spawn(fleet: String) -> std::io::Result<Worker> {
        let (job_tx, job_rx) = channel::<Vec<Job>>();
        let (rep_tx, rep_rx) = channel();
        let thread = std::thread::Builder::new()
            .name("shoal-usage".into())
            .spawn(move || {
                let mut index = ProcIndex::default();
                let mut meters = Meters::default();
                while let Ok(mut jobs) = job_rx.recv() {
                    // Only the newest request matters when several queued up.
                    while let Ok(newer) = job_rx.try_recv() {
                        jobs = newer;
                    }
                    // Only kinds read from files need the agents' processes; a fleet
                    // of shells costs no scan of /proc at all.
                    let wanted: HashSet<&str> = jobs
                        .iter()
                        .filter(|j| {
                            matches!(
                                Source::of(&j.kind, j.screen_regex.as_deref()),
                                Source::Files(_)
                            )
                        })
                        .map(|j| j.agent.as_str())
                        .collect();
                    let procs = if wanted.is_empty() {
                        HashMap::new()
                    } else {
                        index.scan(&fleet, &wanted)
                    };
                    let reports = meters.round(&jobs, &procs);
                    if !reports.is_empty() && rep_tx.send(reports).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Worker {
            jobs: Some(job_tx),
            reports: rep_rx,
            thread: Some(thread),
        })
    }

    /// Hand over the attempts to read next; never blocks.
    pub fn send(&self, jobs: Vec<Job>) {
        if let Some(tx) = &self.jobs {
            let _ = tx.send(jobs);
        }
    }

    /// The reports finished since the last call; never blocks.
    pub fn take(&self) -> Vec<Report> {
        self.reports.try_iter().flatten().collect()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop after its current round.
        self.jobs.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
