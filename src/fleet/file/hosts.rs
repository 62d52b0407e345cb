//! The `[[host]]` tables of the fleet file and the `host` key of an agent, checked with
//! the same located errors as the rest of it.

use super::{check_name, expand_home, FleetFileError, Locator};
use crate::fleet::host::{check_ssh_word, HostSpec, LOCAL};
use serde::Deserialize;
use std::collections::HashMap;
use toml::Spanned;

/// One `[[host]]` table, as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHost {
    name: Spanned<String>,
    ssh: Spanned<String>,
    port: Option<Spanned<i64>>,
    identity: Option<Spanned<String>>,
    #[serde(default)]
    ssh_options: Vec<Spanned<String>>,
    shoal_home: Option<Spanned<String>>,
}

impl Locator<'_> {
    /// Every declared host, checked: names like agents' and unique, a destination ssh
    /// takes as one word, a port in range, an identity file that exists.
    pub(super) fn hosts(
        &self,
        raw: Vec<Spanned<RawHost>>,
    ) -> Result<Vec<HostSpec>, FleetFileError> {
        let mut out: Vec<HostSpec> = Vec::with_capacity(raw.len());
        let mut lines: HashMap<String, usize> = HashMap::new();
        for spanned in raw {
            let h = spanned.into_inner();
            let name = h.name.get_ref().clone();
            check_name(&name).map_err(|e| {
                self.at(
                    h.name.span(),
                    format!("host name: {e}"),
                    "e.g. name = \"gpu1\"",
                )
            })?;
            if name == LOCAL {
                return Err(self.at(
                    h.name.span(),
                    format!("host name {name:?} means this machine and cannot be declared"),
                    "give the remote machine another name, e.g. name = \"gpu1\"",
                ));
            }
            if let Some(first) = lines.get(&name) {
                return Err(self.at(
                    h.name.span(),
                    format!("duplicate host name {name:?} (first declared on line {first})"),
                    "give every host a unique name",
                ));
            }
            lines.insert(name.clone(), self.at(h.name.span(), String::new(), "").line);
            check_ssh_word(h.ssh.get_ref()).map_err(|e| {
                self.at(
                    h.ssh.span(),
                    format!("host {name:?}: ssh destination: {e}"),
                    "write the destination as you would after `ssh`, e.g. ssh = \"me@gpu1.example\"",
                )
            })?;
            let port = match &h.port {
                Some(p) => match u16::try_from(*p.get_ref()) {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        return Err(self.at(
                            p.span(),
                            format!("host {name:?}: port = {} is out of range", p.get_ref()),
                            "use a port from 1 to 65535, or remove the line for ssh's default",
                        ))
                    }
                },
                None => None,
            };
            let identity = match &h.identity {
                Some(i) => {
                    let path = expand_home(i.get_ref());
                    if !path.is_file() {
                        return Err(self.at(
                            i.span(),
                            format!("host {name:?}: identity {:?} is not a file", i.get_ref()),
                            "name the private key file (~ means your home directory), or remove the line to use ssh's own keys",
                        ));
                    }
                    Some(path)
                }
                None => None,
            };
            let mut ssh_options = Vec::with_capacity(h.ssh_options.len());
            for o in h.ssh_options {
                check_ssh_word(o.get_ref()).map_err(|e| {
                    self.at(
                        o.span(),
                        format!("host {name:?}: ssh option: {e}"),
                        "write each option as KEY=VALUE without -o, e.g. \"ConnectTimeout=5\"",
                    )
                })?;
                ssh_options.push(o.into_inner());
            }
            let shoal_home = match h.shoal_home {
                Some(d) => {
                    let dir = d.get_ref();
                    let bad = if dir.trim().is_empty() {
                        Some("it is empty".to_string())
                    } else if dir.chars().any(char::is_control) {
                        Some(format!("{dir:?} holds a control character"))
                    } else if dir.starts_with('~') && !dir.starts_with("~/") {
                        Some(format!("{dir:?}: only ~/ (the remote home) is understood"))
                    } else {
                        None
                    };
                    if let Some(e) = bad {
                        return Err(self.at(
                            d.span(),
                            format!("host {name:?}: shoal_home: {e}"),
                            "name a directory on the host, e.g. shoal_home = \"~/.shoal\" (relative paths are under the remote home)",
                        ));
                    }
                    // The remote shell runs in the home directory: `~/x` is `x`.
                    Some(dir.strip_prefix("~/").unwrap_or(dir).to_string())
                }
                None => None,
            };
            out.push(HostSpec {
                name,
                ssh: h.ssh.into_inner(),
                port,
                identity,
                ssh_options,
                shoal_home,
            });
        }
        Ok(out)
    }

    /// An agent's `host`: [`LOCAL`] or a declared host; `None` (this machine) for local.
    pub(super) fn agent_host(
        &self,
        agent: &str,
        host: Option<&Spanned<String>>,
        hosts: &[HostSpec],
    ) -> Result<Option<String>, FleetFileError> {
        let Some(host) = host else {
            return Ok(None);
        };
        let name = host.get_ref();
        if name == LOCAL {
            return Ok(None);
        }
        if hosts.iter().any(|h| &h.name == name) {
            return Ok(Some(name.clone()));
        }
        let mut known: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
        known.push(LOCAL);
        Err(self.at(
            host.span(),
            format!("agent {agent:?}: host {name:?} is not declared"),
            &format!(
                "use one of: {}, or declare it with [[host]] name = {name:?} and ssh = \"user@machine\"",
                known.join(", ")
            ),
        ))
    }
}
