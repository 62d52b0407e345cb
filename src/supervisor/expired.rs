//! Commands that reached the supervisor after their deadline: dropped, each with an
//! event that names the command, who asked and how late it was.

use super::core::Supervisor;
use crate::fleet::EventKind;
use crate::store::{ExpiredCommand, NewEvent};

impl Supervisor {
    /// Record an event for every command dropped past its deadline (queued at the
    /// paired time).
    pub(crate) fn record_expired(&mut self, expired: Vec<ExpiredCommand>, now_ms: i64) {
        let events: Vec<NewEvent> = expired
            .into_iter()
            .filter_map(|((_, req), queued_ms)| {
                let req = req.ok()?;
                let agent = req.command.agent().to_string();
                let attempt = self.find(&agent).map(|i| self.agents[i].att.attempt);
                let waited = now_ms.saturating_sub(queued_ms) / 1000;
                Some(NewEvent {
                    agent: Some(agent),
                    attempt,
                    ..NewEvent::fleet(
                        now_ms,
                        EventKind::Refused {
                            verb: req.command.verb(),
                            by: req.caller().to_string(),
                            why: format!(
                                "queued {waited}s ago and past its deadline: dropped, not carried out"
                            ),
                        },
                    )
                })
            })
            .collect();
        self.record(events);
    }
}
