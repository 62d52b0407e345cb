//! What the operator (console or CLI) can ask the supervisor to do.

use serde::{Deserialize, Serialize};

/// An operator request addressed to one agent. The console sends these over a channel;
/// the CLI writes them to the store's command table when a supervisor is running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verb", rename_all = "kebab-case")]
pub enum Command {
    /// Send the profile's approve keys to an agent that needs input.
    Approve { agent: String },
    /// Send the profile's deny keys to an agent that needs input.
    Deny { agent: String },
    /// Start an ended agent again as a new attempt.
    Retry { agent: String },
    /// Start an ended agent again as a new attempt with a fresh CLI session, never
    /// resuming the last one (`retry --fresh`).
    RetryFresh { agent: String },
    /// Interrupt, wait the grace period, then kill; ends `cancelled`.
    Cancel { agent: String },
    /// Kill the pane now; ends `killed`.
    Kill { agent: String },
    /// Type the nudge message now.
    Nudge { agent: String },
    /// Type a line of text literally, then Enter.
    Send { agent: String, text: String },
    /// Hold (or release) the stall ladder for this agent.
    Pause { agent: String, paused: bool },
    /// Record a signal the agent sent about itself (`shoal signal`).
    Signal {
        agent: String,
        kind: crate::fleet::SignalKind,
        message: String,
    },
    /// Type a line into an agent's pane on behalf of one of its ancestors (`shoal steer`).
    Steer {
        agent: String,
        by: String,
        text: String,
    },
}

impl Command {
    /// The agent this command is about.
    pub fn agent(&self) -> &str {
        match self {
            Command::Approve { agent }
            | Command::Deny { agent }
            | Command::Retry { agent }
            | Command::RetryFresh { agent }
            | Command::Cancel { agent }
            | Command::Kill { agent }
            | Command::Nudge { agent }
            | Command::Send { agent, .. }
            | Command::Pause { agent, .. }
            | Command::Signal { agent, .. }
            | Command::Steer { agent, .. } => agent,
        }
    }

    /// The verb, as the CLI spells it.
    pub fn verb(&self) -> super::Verb {
        use super::Verb;
        match self {
            Command::Approve { .. } => Verb::Approve,
            Command::Deny { .. } => Verb::Deny,
            Command::Retry { .. } | Command::RetryFresh { .. } => Verb::Retry,
            Command::Cancel { .. } => Verb::Cancel,
            Command::Kill { .. } => Verb::Kill,
            Command::Nudge { .. } => Verb::Nudge,
            Command::Send { .. } => Verb::Send,
            Command::Pause { paused: true, .. } => Verb::Pause,
            Command::Pause { paused: false, .. } => Verb::Resume,
            Command::Signal { .. } => Verb::Signal,
            Command::Steer { .. } => Verb::Steer,
        }
    }

    /// Whether carrying it out answers an agent waiting after a blocked / need-input signal.
    pub fn answers(&self) -> bool {
        matches!(
            self,
            Command::Approve { .. }
                | Command::Deny { .. }
                | Command::Send { .. }
                | Command::Steer { .. }
        )
    }
}

/// A command with who asked for it: what the CLI queues for the supervisor, which checks
/// the caller rule again before carrying it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// What to do.
    #[serde(flatten)]
    pub command: Command,
    /// Who asked; a row queued by an older shoal has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    caller: Option<super::Caller>,
}

impl Request {
    /// `command`, asked by `caller`.
    pub fn new(command: Command, caller: super::Caller) -> Request {
        Request {
            command,
            caller: Some(caller),
        }
    }

    /// Who asked: the recorded caller, or the one the command implies by itself.
    pub fn caller(&self) -> super::Caller {
        self.caller
            .clone()
            .unwrap_or_else(|| super::Caller::implied_by(&self.command))
    }
}

/// What became of a command: a short line for the console footer or the CLI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandOutcome {
    /// The command as it was asked.
    pub command: Command,
    /// `Ok(what was done)` or `Err(why not, and what to do)`.
    pub result: Result<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Caller;

    #[test]
    fn a_queued_request_keeps_its_caller_and_old_rows_still_read() {
        let mallory = Caller::Agent {
            name: "mallory".into(),
            attempt: 2,
            pane: Some("%7".into()),
        };
        let req = Request::new(
            Command::Kill {
                agent: "victim".into(),
            },
            mallory.clone(),
        );
        let body = serde_json::to_string(&req).unwrap();
        let back: Request = serde_json::from_str(&body).unwrap();
        assert_eq!(back, req);
        assert_eq!(back.caller(), mallory);
        // A row written before requests carried their caller.
        let old: Request =
            serde_json::from_str(r#"{"verb":"steer","agent":"a1","by":"lead","text":"x"}"#)
                .unwrap();
        assert_eq!(old.caller().agent(), Some("lead"));
        assert_eq!(old.command.agent(), "a1");
    }
}
