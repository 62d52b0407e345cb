//! The supervisor's side of usage: every few seconds it hands the attempts worth
//! reading to the usage thread (`crate::usage::worker`), and each tick it takes back
//! whatever totals changed, stores the increase, logs it and marks the snapshot changed.
//! The tick itself never reads a transcript or `/proc`.

use super::core::Supervisor;
use crate::fleet::{AgentView, UsageSum};
use crate::store::UsageRow;
use crate::usage::worker::{Job, Report, Worker};
use crate::usage::{PriceTable, Tokens};
use std::collections::{BTreeMap, HashMap};

/// How often the attempts are handed to the usage thread.
pub const ROUND_MS: i64 = 5_000;

/// An ended attempt is read for this long after it ended, for the last answer's lines.
const AFTER_END_MS: i64 = 2 * ROUND_MS;

/// Stored usage of one attempt per model: tokens and dollars (`None`: no price).
type ModelSums = BTreeMap<String, (Tokens, Option<f64>)>;

/// What the supervisor keeps about usage between ticks.
#[derive(Default)]
pub(crate) struct UsageState {
    worker: Option<Worker>,
    /// The worker could not be started, or usage reading is off: no more tries.
    off: bool,
    next_round_ms: i64,
    prices: Option<PriceTable>,
    /// What the store holds per (agent, attempt), loaded once, then kept up to date.
    sums: Option<HashMap<(String, u32), ModelSums>>,
    skipped: HashMap<(String, u32), u64>,
}

impl Supervisor {
    /// The usage hook of the tick: bounded work (a job list every [`ROUND_MS`], a
    /// non-blocking take of the reports).
    pub(crate) fn usage_tick(&mut self, now_ms: i64) {
        if self.usage.off {
            return;
        }
        if self.usage.worker.is_none() {
            if std::env::var_os("SHOAL_USAGE").is_some_and(|v| v == "off") {
                self.usage.off = true;
                return;
            }
            match Worker::spawn(self.settings.name.clone()) {
                Ok(w) => {
                    self.usage.worker = Some(w);
                    self.usage_sums();
                }
                Err(e) => {
                    self.usage.off = true;
                    self.usage_note(
                        None,
                        format!("usage reading is off: cannot start its thread: {e}"),
                        now_ms,
                    );
                    return;
                }
            }
        }
        let reports = self
            .usage
            .worker
            .as_ref()
            .map(Worker::take)
            .unwrap_or_default();
        for r in reports {
            self.take_usage(r, now_ms);
        }
        if now_ms >= self.usage.next_round_ms {
            self.usage.next_round_ms = now_ms + ROUND_MS;
            let jobs = self.usage_jobs(now_ms);
            if let Some(w) = &self.usage.worker {
                w.send(jobs);
            }
        }
    }

    fn usage_jobs(&self, now_ms: i64) -> Vec<Job> {
        self.agents
            .iter()
            .filter(|a| a.att.attempt > 0)
            .filter(|a| a.is_live() || a.att.ended_ms.is_some_and(|e| now_ms - e < AFTER_END_MS))
            .filter_map(|a| {
                Some(Job {
                    agent: a.name().to_string(),
                    attempt: a.att.attempt,
                    kind: a.decl.kind.clone(),
                    screen_regex: self.detector.usage_screen(&a.decl.kind),
                    started_ms: a.att.started_ms?,
                    capture: Some(a.capture().clone()).filter(|c| !c.is_empty()),
                    session_regex: self
                        .detector
                        .session_args(&a.decl.kind)
                        .and_then(|s| s.discover),
                })
            })
            .collect()
    }

    fn usage_sums(&mut self) -> &mut HashMap<(String, u32), ModelSums> {
        if self.usage.sums.is_none() {
            self.usage.sums = Some(load_sums(&self.store));
        }
        self.usage.sums.get_or_insert_with(HashMap::new)
    }

    fn prices(&mut self, now_ms: i64) -> &PriceTable {
        if self.usage.prices.is_none() {
            let table = match crate::config::paths::Paths::from_env() {
                Ok(p) => PriceTable::load(&p.config_dir).unwrap_or_else(|e| {
                    self.usage_note(None, format!("{e}; using the built-in prices"), now_ms);
                    PriceTable::builtin()
                }),
                Err(_) => PriceTable::builtin(),
            };
            self.usage.prices = Some(table);
        }
        self.usage.prices.get_or_insert_with(PriceTable::builtin)
    }

    /// Store what grew since the stored totals of the report's attempt.
    pub(crate) fn take_usage(&mut self, r: Report, now_ms: i64) {
        if let Some(session) = &r.session {
            self.discovered_session(&r.agent, r.attempt, session);
        }
        let key = (r.agent.clone(), r.attempt);
        if r.skipped > self.usage.skipped.get(&key).copied().unwrap_or(0) {
            self.usage.skipped.insert(key.clone(), r.skipped);
            if let Some(note) = &r.note {
                self.usage_note(
                    Some((&r.agent, r.attempt)),
                    format!("usage: {note}"),
                    now_ms,
                );
            }
        }
        let prices = self.prices(now_ms).clone();
        let before = self.usage_sums().get(&key).cloned().unwrap_or_default();
        let mut rows = Vec::new();
        for (model, total) in &r.totals {
            let (old_t, old_c) = before.get(model).copied().unwrap_or_default();
            let delta = total.minus(&old_t);
            let cost = match (model.as_str(), r.screen_cost) {
                (crate::usage::meter::SCREEN_MODEL, Some(c)) => {
                    Some((c - old_c.unwrap_or(0.0)).max(0.0))
                }
                _ => prices.cost(model, &delta),
            };
            if delta.is_zero() && cost.unwrap_or(0.0) == 0.0 {
                continue;
            }
            rows.push(UsageRow {
                agent: r.agent.clone(),
                attempt: r.attempt,
                model: model.clone(),
                hour_ms: 0,
                tokens: delta,
                cost,
            });
        }
        if rows.is_empty() {
            return;
        }
        let written = self.store.write(|s| {
            for row in &rows {
                s.add_usage(row, now_ms)?;
            }
            Ok(())
        });
        if let Err(e) = written {
            self.stats.error = Some(e.to_string());
            return;
        }
        let sums = self.usage_sums().entry(key).or_default();
        let mut lines = Vec::new();
        for row in &rows {
            let e = sums.entry(row.model.clone()).or_default();
            e.0.add(&row.tokens);
            e.1 = match (e.1, row.cost) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            };
            lines.push(usage_line(row));
        }
        self.usage_note(Some((&r.agent, r.attempt)), lines.join("; "), now_ms);
        self.changed = true;
        self.budgets.dirty = true;
    }

    /// Every agent's own usage (all its attempts), from the stored totals.
    pub(crate) fn own_usage(&self) -> HashMap<String, UsageSum> {
        let loaded;
        let sums = if let Some(s) = &self.usage.sums {
            s
        } else {
            loaded = load_sums(&self.store);
            &loaded
        };
        let mut own: HashMap<String, UsageSum> = HashMap::new();
        for ((agent, _), models) in sums {
            own.entry(agent.clone()).or_default().add(&sum_of(models));
        }
        own
    }

    fn usage_note(&self, agent: Option<(&str, u32)>, message: String, now_ms: i64) {
        let mut entry = crate::logs::NewLog::supervisor(now_ms, crate::logs::Level::Info, message);
        entry.agent = agent.map(|(a, _)| a.to_string());
        entry.attempt = agent.map(|(_, n)| n);
        // A store that cannot take a note is reported by the tick's own writes.
        let _ = self.store.insert_log(&entry);
    }

    /// Fill each view's usage: own (every attempt), current attempt with its rate, and
    /// the subtree's sum.
    pub(crate) fn apply_usage(&self, views: &mut [AgentView], now_ms: i64) {
        if self.usage.off {
            return;
        }
        // A command without a running tick reads the stored totals once per snapshot.
        let loaded;
        let sums = if let Some(s) = &self.usage.sums {
            s
        } else {
            loaded = load_sums(&self.store);
            &loaded
        };
        let mut own: HashMap<&str, UsageSum> = HashMap::new();
        let mut current: HashMap<(&str, u32), UsageSum> = HashMap::new();
        for ((agent, attempt), models) in sums {
            let s = sum_of(models);
            own.entry(agent.as_str()).or_default().add(&s);
            current.insert((agent.as_str(), *attempt), s);
        }
        let started_at: HashMap<&str, Option<i64>> = self
            .agents
            .iter()
            .map(|a| (a.name(), a.att.started_ms))
            .collect();
        for v in views.iter_mut() {
            v.usage.own = own.get(v.name.as_str()).copied().unwrap_or_default();
            v.usage.attempt = current
                .get(&(v.name.as_str(), v.attempt))
                .copied()
                .unwrap_or_default();
            let started = started_at
                .get(v.name.as_str())
                .copied()
                .flatten()
                .filter(|_| !v.state.is_ended());
            if let Some(started) = started {
                // A minute at least, so the first answer does not read as a huge rate.
                let hours = ((now_ms - started).max(60_000)) as f64 / 3_600_000.0;
                v.usage.cost_per_hour = Some(v.usage.attempt.cost / hours);
                v.usage.tokens_per_hour = Some(v.usage.attempt.tokens.total() as f64 / hours);
            }
        }
        crate::fleet::usage::rollup(views);
    }
}

/// The stored totals per attempt and model. A store that cannot answer gives nothing;
/// the next write reports why.
fn load_sums(store: &crate::store::Store) -> HashMap<(String, u32), ModelSums> {
    let mut sums: HashMap<(String, u32), ModelSums> = HashMap::new();
    for r in store.usage_rows(None, false).unwrap_or_default() {
        sums.entry((r.agent, r.attempt))
            .or_default()
            .insert(r.model, (r.tokens, r.cost));
    }
    sums
}

fn sum_of(models: &ModelSums) -> UsageSum {
    let mut s = UsageSum::default();
    for (t, c) in models.values() {
        s.tokens.add(t);
        match c {
            Some(c) => s.cost += c,
            None => s.unpriced |= !t.is_zero(),
        }
    }
    s
}

fn usage_line(row: &UsageRow) -> String {
    let t = &row.tokens;
    let cost = row
        .cost
        .map_or_else(|| "no price".to_string(), |c| format!("${c:.4}"));
    format!(
        "usage {}: +{} in, +{} out, +{} cache read, +{} cache write, {cost}",
        row.model, t.input, t.output, t.cache_read, t.cache_write
    )
}

#[cfg(test)]
#[path = "usage_tests.rs"]
mod tests;
