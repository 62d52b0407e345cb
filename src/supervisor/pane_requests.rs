//! The supervisor's end of the way back from remote panes (see
//! [`crate::fleet::pane_request`]): the listing shows how many bytes wait in a pane's
//! `@shoal_req`; the tick takes them (read and unset at once, so each line is seen
//! once), checks that each line carries the token of the attempt whose pane it is (the
//! pane itself is proven by its pid and mark), carries it out as that agent and answers
//! in `@shoal_reply_ID`. Answers not picked up within a minute are unset.
//!
//! Only the running supervisor's tick serves requests: a command that observes the
//! fleet on its own (`shoal status` with no supervisor) leaves them in the pane.

use super::core::Supervisor;
use crate::fleet::pane_request::{
    self, parse_line, parse_request, Request, MAX_REQUEST_BYTES, REPLY_PREFIX, REQUEST_OPTION,
};
use crate::fleet::{Caller, Command, EventKind};
use crate::store::NewEvent;
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

/// How long an answer waits in its pane for the command that asked.
const REPLY_TTL_MS: i64 = 60_000;

/// Requests seen, answers given, inbox reads waiting, and each host's shim.
#[derive(Debug, Default)]
pub(crate) struct PaneRequests {
    /// Seen by the last listing: (agent index, server, pane, bytes waiting).
    pub found: Vec<(usize, String, String, usize)>,
    /// Answers set: (server, pane, option, when).
    replies: Vec<(String, String, String, i64)>,
    /// `inbox --wait` reads not answered yet.
    waits: Vec<Wait>,
    /// The fleet's secret for attempt tokens, once read.
    key: Option<Vec<u8>>,
    /// Each host's shim, once installed this run: its `bin` directory and the host's
    /// `PATH`.
    pub installed: BTreeMap<String, (String, String)>,
}

/// An `inbox --wait` waiting for a child's signal.
#[derive(Debug)]
struct Wait {
    agent: String,
    attempt: u32,
    server: String,
    pane: String,
    id: String,
    reader: String,
    json: bool,
    until_ms: i64,
    /// The `--wait` asked for, for the message when it runs out.
    asked: std::time::Duration,
}

impl Supervisor {
    /// The token of attempt `attempt` of `agent`, for its pane's environment.
    pub(crate) fn attempt_token(&mut self, agent: &str, attempt: u32) -> Result<String, String> {
        let key = self.fleet_key()?;
        Ok(pane_request::token(
            &key,
            &self.settings.name,
            agent,
            attempt,
        ))
    }

    /// The fleet's secret (`HOME/<fleet>.reply-key`, owner-only), made on first use:
    /// every supervisor of the fleet, before and after a restart, derives the same
    /// tokens from it.
    fn fleet_key(&mut self) -> Result<Vec<u8>, String> {
        if let Some(k) = &self.requests.key {
            return Ok(k.clone());
        }
        let path = self.home.join(format!("{}.reply-key", self.settings.name));
        if !path.exists() {
            let mut fresh = [0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut fresh))
                .map_err(|e| format!("cannot read /dev/urandom for the reply key: {e}"))?;
            let hex: String = fresh.iter().map(|b| format!("{b:02x}")).collect();
            // Another supervisor may make it at the same moment: the first one wins.
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(crate::store::private::FILE_MODE)
                .open(&path)
            {
                f.write_all(hex.as_bytes())
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
        let key = std::fs::read(&path)
            .map_err(|e| format!("cannot read the reply key {}: {e}", path.display()))?;
        if key.len() < 32 {
            return Err(format!(
                "the reply key {} is damaged (shorter than 32 bytes); delete it and restart the remote agents",
                path.display()
            ));
        }
        self.requests.key = Some(key.clone());
        Ok(key)
    }

    /// Carry out what remote panes asked for, answer them, and forget answers nobody
    /// picked up. Part of the running supervisor's tick.
    pub(crate) fn serve_pane_requests(&mut self, now_ms: i64) {
        let found = std::mem::take(&mut self.requests.found);
        if (found.is_empty() && self.requests.waits.is_empty() && self.requests.replies.is_empty())
            || !self.may_act()
        {
            return;
        }
        for (i, server, pane, len) in found {
            self.serve_pane(i, &server, &pane, len, now_ms);
        }
        self.answer_waits(now_ms);
        self.expire_replies(now_ms);
        if let Err(e) = self.persist() {
            self.stats.error = Some(e.to_string());
        }
    }

    /// Take and carry out the requests waiting in agent `i`'s pane.
    fn serve_pane(&mut self, i: usize, server: &str, pane: &str, len: usize, now_ms: i64) {
        let agent = self.agents[i].name().to_string();
        let attempt = self.agents[i].att.attempt;
        let host = crate::fleet::host::split_server(server)
            .0
            .unwrap_or("this machine");
        let by = format!("pane {pane} of {agent}#{attempt} on {host}");
        let Ok(backend) = self.servers.backend(server) else {
            return;
        };
        if len > MAX_REQUEST_BYTES {
            // Dropped unread: a pane cannot make the supervisor read without bound.
            let _ = backend.set_pane_option(pane, REQUEST_OPTION, "");
            self.dropped(
                i,
                &by,
                format!("{len} bytes waiting, over the {MAX_REQUEST_BYTES}-byte limit"),
                now_ms,
            );
            return;
        }
        let text = match backend.take_pane_option(pane, REQUEST_OPTION) {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(e) => {
                self.stats.error = Some(format!("reading the requests of {by}: {e}"));
                return;
            }
        };
        let expected = match self.attempt_token(&agent, attempt) {
            Ok(t) => t,
            Err(e) => {
                self.dropped(i, &by, e, now_ms);
                return;
            }
        };
        for raw in text.lines().filter(|l| !l.trim().is_empty()) {
            let line = match parse_line(raw) {
                Ok(l) => l,
                Err(why) => {
                    self.dropped(i, &by, why, now_ms);
                    continue;
                }
            };
            if line.token != expected {
                let why = "it does not carry this attempt's token (written by another pane, or \
                           left from an earlier attempt); nothing was done"
                    .to_string();
                self.dropped(i, &by, why.clone(), now_ms);
                self.post_reply(server, pane, &line.id, &Err(why), now_ms);
                continue;
            }
            let caller = Caller::Agent {
                name: agent.clone(),
                attempt,
                pane: Some(format!("{pane} on {host}")),
            };
            let result = match parse_request(&line.args) {
                Err(why) => {
                    self.dropped(i, &by, why.clone(), now_ms);
                    Err(why)
                }
                Ok(Request::Signal { kind, message }) => {
                    let message = crate::logs::redact::redact(&message).into_owned();
                    self.execute_as(
                        &caller,
                        &Command::Signal {
                            agent: agent.clone(),
                            kind,
                            message,
                        },
                        now_ms,
                    )
                }
                Ok(Request::Spawn(spec)) => self.spawn_from_pane(i, &caller, spec, now_ms),
                Ok(Request::Inbox {
                    agent: reader,
                    wait,
                    json,
                }) => {
                    let reader = reader.unwrap_or_else(|| agent.clone());
                    match self.read_inbox(&caller, &reader, json) {
                        Ok(None) if wait.is_some() => {
                            let wait = wait.unwrap_or_default();
                            self.requests.waits.push(Wait {
                                agent: agent.clone(),
                                attempt,
                                server: server.to_string(),
                                pane: pane.to_string(),
                                id: line.id.clone(),
                                reader,
                                json,
                                until_ms: now_ms.saturating_add(
                                    i64::try_from(wait.as_millis()).unwrap_or(i64::MAX),
                                ),
                                asked: wait,
                            });
                            continue;
                        }
                        Ok(got) => {
                            Ok(got
                                .unwrap_or_else(|| if json { "[]".into() } else { String::new() }))
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            self.post_reply(server, pane, &line.id, &result, now_ms);
        }
    }

    /// Answer the `inbox --wait` reads whose signal came or whose time ran out.
    fn answer_waits(&mut self, now_ms: i64) {
        let waits = std::mem::take(&mut self.requests.waits);
        for w in waits {
            // The asking attempt ended: its pane is gone or another's.
            let live = self.find(&w.agent).is_some_and(|i| {
                self.agents[i].is_live() && self.agents[i].att.attempt == w.attempt
            });
            if !live {
                continue;
            }
            let caller = Caller::Agent {
                name: w.agent.clone(),
                attempt: w.attempt,
                pane: Some(w.pane.clone()),
            };
            let result = match self.read_inbox(&caller, &w.reader, w.json) {
                Ok(Some(text)) => Ok(text),
                Ok(None) if now_ms < w.until_ms => {
                    self.requests.waits.push(w);
                    continue;
                }
                Ok(None) => Err(format!(
                    "no signal from {}'s children within {}",
                    w.reader,
                    humantime::format_duration(w.asked)
                )),
                Err(e) => Err(e),
            };
            self.post_reply(&w.server, &w.pane, &w.id, &result, now_ms);
        }
    }

    /// Set the answer to request `id` in the pane.
    fn post_reply(
        &mut self,
        server: &str,
        pane: &str,
        id: &str,
        result: &Result<String, String>,
        now_ms: i64,
    ) {
        let option = format!("{REPLY_PREFIX}{id}");
        let text = pane_request::reply(result);
        match self
            .servers
            .backend(server)
            .and_then(|b| b.set_pane_option(pane, &option, &text))
        {
            Ok(()) => {
                self.requests
                    .replies
                    .push((server.to_string(), pane.to_string(), option, now_ms));
            }
            Err(e) => self.stats.error = Some(format!("answering pane {pane} on {server}: {e}")),
        }
    }

    /// Unset answers older than a minute: the command that asked gave up or died.
    fn expire_replies(&mut self, now_ms: i64) {
        let (old, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.requests.replies)
            .into_iter()
            .partition(|r| now_ms - r.3 >= REPLY_TTL_MS);
        self.requests.replies = keep;
        for (server, pane, option, _) in old {
            if let Ok(b) = self.servers.backend(&server) {
                let _ = b.take_pane_option(&pane, &option);
            }
        }
    }

    /// Record that a request from `by` (agent `i`'s pane) was not carried out.
    fn dropped(&mut self, i: usize, by: &str, why: String, now_ms: i64) {
        let event = NewEvent::agent(
            now_ms,
            self.agents[i].name(),
            self.agents[i].att.attempt,
            EventKind::RequestDropped {
                by: by.to_string(),
                why,
            },
        );
        self.record([event]);
    }
}
