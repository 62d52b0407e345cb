//! A reloaded fleet file's `[[host]]` tables take effect at once: a new host is
//! reachable by the next start on it, a changed one has its connections (and its
//! shared ssh connection) dropped so the next command rides the new settings, and a
//! removed one is let go once no live agent runs there. Until then it stays reachable,
//! so its agents can still be watched, killed and cancelled, and the header says why
//! it lingers.

use super::core::Supervisor;
use crate::fleet::host::{split_server, HostSpec};
use crate::fleet::EventKind;
use crate::store::NewEvent;
use crate::tmux::ssh::{Hosts, SshTransport};
use std::sync::Arc;

impl Supervisor {
    /// Take the hosts of a reloaded fleet file; returns what changed, one phrase per
    /// host, for the reload's event.
    pub(crate) fn reload_hosts(&mut self, new: &[HostSpec]) -> Vec<String> {
        let old: Vec<Arc<SshTransport>> = self
            .servers
            .hosts()
            .iter()
            .map(|(_, t)| Arc::clone(t))
            .collect();
        let mut said = Vec::new();
        let mut closing: Vec<Arc<SshTransport>> = Vec::new();
        for h in new {
            match old.iter().find(|t| t.host == h.name) {
                None => said.push(format!("host {} added", h.name)),
                Some(t) if t.spec() != h => {
                    said.push(format!(
                        "host {} changed ({})",
                        h.name,
                        spec_diff(t.spec(), h).join(", ")
                    ));
                    closing.push(Arc::clone(t));
                }
                Some(_) => {}
            }
        }
        let mut retiring = Vec::new();
        for t in old.iter().filter(|t| !new.iter().any(|h| h.name == t.host)) {
            let users = self.agents_on_host(&t.host);
            if users.is_empty() {
                said.push(format!("host {} removed", t.host));
                closing.push(Arc::clone(t));
            } else {
                if !self.servers.retiring.iter().any(|r| r.name == t.host) {
                    said.push(format!(
                        "host {} removed from the fleet file; kept until its agents end: {}",
                        t.host,
                        users.join(", ")
                    ));
                }
                retiring.push(t.spec().clone());
            }
        }
        self.servers.retiring = retiring;
        self.use_hosts(new);
        for t in closing {
            t.close_shared();
        }
        said
    }

    /// Let go of removed hosts whose last agent ended.
    pub(crate) fn retire_hosts(&mut self, now_ms: i64) {
        if self.servers.retiring.is_empty() {
            return;
        }
        let (done, keep): (Vec<HostSpec>, Vec<HostSpec>) =
            std::mem::take(&mut self.servers.retiring)
                .into_iter()
                .partition(|h| self.agents_on_host(&h.name).is_empty());
        self.servers.retiring = keep;
        if done.is_empty() {
            return;
        }
        let closing: Vec<Arc<SshTransport>> = done
            .iter()
            .filter_map(|h| self.servers.hosts().get(&h.name).cloned())
            .collect();
        let specs = self.settings.hosts.clone();
        self.use_hosts(&specs);
        for t in closing {
            t.close_shared();
        }
        let changes = done
            .iter()
            .map(|h| format!("host {} let go: its last agent ended", h.name))
            .collect();
        self.record([NewEvent::fleet(now_ms, EventKind::HostsChanged { changes })]);
    }

    /// `gpu1 removed from the fleet file; kept until a, b end` for each removed host
    /// that still has live agents.
    pub(crate) fn retiring_hosts(&self) -> Vec<String> {
        self.servers
            .retiring
            .iter()
            .map(|h| {
                format!(
                    "{} removed from the fleet file; kept until {} end",
                    h.name,
                    self.agents_on_host(&h.name).join(", ")
                )
            })
            .collect()
    }

    /// Reach the fleet file's hosts `specs` and the removed ones still in use.
    fn use_hosts(&mut self, specs: &[HostSpec]) {
        let mut all = specs.to_vec();
        all.extend(self.servers.retiring.iter().cloned());
        let hosts = Hosts::for_fleet(&all, &self.home);
        self.servers.set_hosts(hosts);
        // A host's shim goes where its new settings say, on its next start.
        self.requests.installed.clear();
        self.changed = true;
    }

    /// Names of the live agents whose server is on `host`.
    fn agents_on_host(&self, host: &str) -> Vec<String> {
        self.agents
            .iter()
            .filter(|a| a.is_live())
            .filter(|a| {
                a.att
                    .server
                    .as_deref()
                    .is_some_and(|s| split_server(s).0 == Some(host))
            })
            .map(|a| a.name().to_string())
            .collect()
    }
}

/// What differs between two tables of one host, `field old → new`.
fn spec_diff(old: &HostSpec, new: &HostSpec) -> Vec<String> {
    let show = |v: Option<String>| v.unwrap_or_else(|| "(none)".into());
    let mut out = Vec::new();
    if old.ssh != new.ssh {
        out.push(format!("ssh {} → {}", old.ssh, new.ssh));
    }
    if old.port != new.port {
        out.push(format!(
            "port {} → {}",
            show(old.port.map(|p| p.to_string())),
            show(new.port.map(|p| p.to_string()))
        ));
    }
    if old.identity != new.identity {
        out.push(format!(
            "identity {} → {}",
            show(old.identity.as_ref().map(|p| p.display().to_string())),
            show(new.identity.as_ref().map(|p| p.display().to_string()))
        ));
    }
    if old.ssh_options != new.ssh_options {
        out.push("ssh_options changed".into());
    }
    if old.shoal_home() != new.shoal_home() {
        out.push(format!(
            "shoal_home {} → {}",
            old.shoal_home(),
            new.shoal_home()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_host_names_each_changed_field() {
        let a = HostSpec {
            name: "gpu1".into(),
            ssh: "me@gpu1".into(),
            port: None,
            identity: None,
            ssh_options: Vec::new(),
            shoal_home: None,
        };
        let b = HostSpec {
            port: Some(2222),
            ssh_options: vec!["ConnectTimeout=5".into()],
            ..a.clone()
        };
        assert_eq!(
            spec_diff(&a, &b),
            ["port (none) → 2222", "ssh_options changed"]
        );
        assert!(spec_diff(&a, &a).is_empty());
    }
}
