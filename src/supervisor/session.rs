//! Resuming a CLI's conversation on a new attempt: shoal assigns a session id at launch
//! (for CLIs whose profile says how, e.g. `claude --session-id ID`) and a later attempt
//! of an agent with `resume = true` starts with the profile's resume arguments
//! (`claude --resume ID`) instead of a fresh session and a re-typed task.

use super::core::Supervisor;
use std::io::Read;

/// How agent `i`'s next attempt is launched.
pub(crate) struct Launch {
    /// The command line.
    pub cmd: String,
    /// The session it resumes, if it resumes one.
    pub resumed: Option<String>,
}

impl Supervisor {
    /// The next attempt of agent `i` resumes the last session unless its policy says
    /// not to, its kind cannot, there is none, or the operator asked for a fresh start.
    pub(crate) fn launch(&mut self, i: usize) -> Launch {
        let cmd = self.agents[i].decl.cmd.clone();
        let name = self.agents[i].name().to_string();
        let fresh = self.restarts.fresh.remove(&name);
        let plain = Launch {
            cmd: cmd.clone(),
            resumed: None,
        };
        if !self.policy_of(i).resume {
            return plain;
        }
        let Some(args) = self.detector.session_args(&self.agents[i].decl.kind) else {
            return plain;
        };
        let earlier = self.agents[i].att.attempt >= 1;
        let st = self.restarts.states.entry(name.clone()).or_default();
        if let Some(id) = st.session.clone().filter(|_| earlier && !fresh) {
            return Launch {
                cmd: format!("{cmd} {}", args.resume.replace("{session}", &id)),
                resumed: Some(id),
            };
        }
        // A fresh session: shoal names it, or learns its id once the CLI writes its
        // transcript (`discovered_session`).
        let id = args.launch.as_ref().map(|l| (l, new_session_id()));
        st.session = id.as_ref().map(|(_, id)| id.clone());
        self.restarts.dirty_states.insert(name);
        Launch {
            cmd: match id {
                Some((launch, id)) => format!("{cmd} {}", launch.replace("{session}", &id)),
                None => cmd,
            },
            resumed: None,
        }
    }

    /// The usage reader found the session id in agent `agent`'s transcript file name
    /// (profiles with `[session] discover`): its next attempt resumes that session.
    pub(crate) fn discovered_session(&mut self, agent: &str, attempt: u32, session: &str) {
        let current = self
            .agents
            .iter()
            .any(|a| a.name() == agent && a.att.attempt == attempt);
        if !current {
            return;
        }
        let st = self.restarts.states.entry(agent.to_string()).or_default();
        if st.session.as_deref() != Some(session) {
            st.session = Some(session.to_string());
            self.restarts.dirty_states.insert(agent.to_string());
            if let Err(e) = self.save_restarts() {
                self.stats.error = Some(e.to_string());
            }
        }
    }

    /// Agent `i`'s new attempt started; one that resumed its session has its task
    /// already (the conversation holds it), so it is not typed again.
    pub(crate) fn session_started(&mut self, i: usize, resumed: Option<String>, now_ms: i64) {
        if let Some(session) = resumed {
            self.agents[i].att.task_sent = true;
            let a = &self.agents[i];
            let e = crate::store::NewEvent::agent(
                now_ms,
                a.name(),
                a.att.attempt,
                crate::fleet::EventKind::SessionResumed { session },
            );
            self.record([e]);
        }
        if let Err(e) = self.save_restarts() {
            self.stats.error = Some(e.to_string());
        }
    }

    /// The operator's `retry --fresh`: the next attempt of agent `i` starts a new session.
    pub(crate) fn start_fresh(&mut self, i: usize) {
        let name = self.agents[i].name().to_string();
        self.restarts.fresh.insert(name);
    }
}

/// A random (version 4) UUID, the form CLIs take as a session id.
pub fn new_session_id() -> String {
    let mut b = [0u8; 16];
    let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b));
    if read.is_err() {
        // No urandom: time and pid still make ids that differ between launches.
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
            ^ u128::from(std::process::id()) << 64;
        b = seed.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use crate::profile::{Profile, Registry};
    use crate::supervisor::Detector;
    use std::path::Path;

    #[test]
    fn claude_takes_a_session_id_at_launch_and_resumes_it_others_do_not() {
        let reg = Registry::builtin();
        for kind in ["claude", "gemini"] {
            let args = reg.session_args(kind).expect(kind);
            assert_eq!(
                args.launch.as_deref(),
                Some("--session-id {session}"),
                "{kind}"
            );
            assert_eq!(args.resume, "--resume {session}", "{kind}");
            assert_eq!(args.discover, None, "{kind}");
        }
        for kind in ["shell", "aider", "nosuch"] {
            assert_eq!(reg.session_args(kind), None, "{kind}");
        }
    }

    #[test]
    fn codex_session_id_is_learned_from_its_rollout_file_name() {
        let args = Registry::builtin().session_args("codex").expect("codex");
        assert_eq!(args.launch, None);
        assert_eq!(args.resume, "resume {session}");
        let re = regex::Regex::new(args.discover.as_deref().expect("discover")).unwrap();
        // A real rollout's name, recorded from Codex CLI 0.169.0 in the agent lab.
        let name = "rollout-2026-12-03T19-40-09-01a23d6b-e15f-7a90-be00-aff5dbbbeb13.jsonl";
        assert_eq!(
            &re.captures(name).expect("matches")["session"],
            "01a23d6b-e15f-7a90-be00-aff5dbbbeb13"
        );
        assert!(re.captures("history.jsonl").is_none());
    }

    #[test]
    fn a_session_needs_exactly_one_source_of_its_id() {
        let both = "name = \"x\"\nrules = []\n[session]\nlaunch = \"--id {session}\"\ndiscover = '(?P<session>.+)'\nresume = \"-r {session}\"\n";
        let neither = "name = \"x\"\nrules = []\n[session]\nresume = \"-r {session}\"\n";
        for text in [both, neither] {
            let e = Profile::from_toml(Path::new("x.toml"), text).unwrap_err();
            assert!(e.to_string().contains("exactly one of `launch`"), "{e}");
        }
        let nameless = "name = \"x\"\nrules = []\n[session]\ndiscover = 'log-(.+)'\nresume = \"-r {session}\"\n";
        let e = Profile::from_toml(Path::new("x.toml"), nameless).unwrap_err();
        assert!(e.to_string().contains("(?P<session>"), "{e}");
        assert_eq!(e.line, Some(4), "{e}");
    }

    #[test]
    fn session_arguments_without_the_placeholder_are_refused_where_written() {
        let text = "name = \"x\"\nrules = []\n[session]\nlaunch = \"--id\"\nresume = \"--resume {session}\"\n";
        let e = Profile::from_toml(Path::new("x.toml"), text).unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(
            e.to_string().contains("\"--id\"") && e.to_string().contains("{session}"),
            "{e}"
        );
    }
    #[test]
    fn session_ids_are_v4_uuids_and_differ() {
        let a = super::new_session_id();
        let b = super::new_session_id();
        assert_ne!(a, b);
        let parts: Vec<&str> = a.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "{a}");
        assert!("89ab".contains(&parts[3][..1]), "{a}");
    }
}
