//! What daxkit needs to know about the host to plan a command, probed once
//! per command ([`Host::get`]) and then only read: planning functions
//! (`build::plan`, `vm::run_spec`) take a [`Host`] and touch nothing, so
//! tests plan with a made-up host ([`Host::plain`]).
//!
//! What a command later changes on the host (a tool it installs on
//! demand) is not re-probed: the plan already says "after installing".
//! Tools the stages only run (git, make, mkfs) are still looked up where
//! they run (`exec::require_tool`), which installs them when missing.

use crate::exec::{self, HostFile};
use crate::vm::plan::Firmware;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where Debian's (and upstream's default-prefix) QEMU keeps qboot.
pub const QBOOT_PATHS: &[&str] = &[
    "/usr/share/qemu/qboot.rom",
    "/usr/local/share/qemu/qboot.rom",
];

/// The host as planning sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    /// daxkit may install what it lacks ([`exec::may_install`]).
    pub may_install: bool,
    /// Each of [`exec::TOOLS`] by name: its path, `None` when missing.
    pub tools: BTreeMap<&'static str, Option<PathBuf>>,
    /// ccache's path, if installed.
    pub ccache: Option<PathBuf>,
    /// libelf's headers (objtool) are there ([`exec::LIBELF_HEADERS`]).
    pub libelf_headers: bool,
    /// The firmware QEMU boots with: qboot when installed, unless
    /// `DAXKIT_FIRMWARE=seabios|qboot` forces one.
    pub firmware: Firmware,
}

static HOST: OnceLock<Host> = OnceLock::new();

impl Host {
    /// The host of this daxkit process, probed on first use.
    pub fn get() -> &'static Host {
        HOST.get_or_init(Host::probe)
    }

    /// Looks everything up (a few file tests, `id -u`).
    pub fn probe() -> Host {
        Host {
            may_install: exec::may_install(),
            tools: exec::TOOLS
                .iter()
                .map(|t| (t.name, exec::find_tool(t.name)))
                .collect(),
            ccache: exec::find_tool("ccache"),
            libelf_headers: has_file(&exec::LIBELF_HEADERS),
            firmware: firmware(
                std::env::var("DAXKIT_FIRMWARE").ok().as_deref(),
                QBOOT_PATHS.iter().any(|p| Path::new(p).is_file()),
            ),
        }
    }

    /// A host with nothing optional (no ccache, SeaBIOS, no installs),
    /// libelf present: for tests.
    #[cfg(test)]
    pub fn plain() -> Host {
        Host {
            may_install: false,
            tools: BTreeMap::new(),
            ccache: None,
            libelf_headers: true,
            firmware: Firmware::Seabios,
        }
    }
}

impl Host {
    /// The tools `need` asks for that are missing, with their packages.
    pub fn missing(&self, need: exec::Need) -> Vec<exec::Tool> {
        exec::TOOLS
            .iter()
            .filter(|t| t.need == need)
            .filter(|t| !matches!(self.tools.get(t.name), Some(Some(_))))
            .copied()
            .collect()
    }

    /// A line for a plan: the tools `need` lacks, and what the real
    /// command does about them; `None` when none is missing.
    pub fn missing_text(&self, need: exec::Need) -> Option<String> {
        let missing = self.missing(need);
        if missing.is_empty() {
            return None;
        }
        let names: Vec<String> = missing
            .iter()
            .map(|t| format!("{} ({})", t.name, t.provider))
            .collect();
        Some(if self.may_install {
            format!("would install first: {}", names.join(", "))
        } else {
            format!(
                "missing, and daxkit may not install them: {} (the command would stop here)",
                names.join(", ")
            )
        })
    }
}

fn has_file(f: &HostFile) -> bool {
    Path::new(f.path).exists()
}

/// `DAXKIT_FIRMWARE=seabios` forces QEMU's default, to rule qboot out
/// when debugging an early-boot problem.
fn firmware(forced: Option<&str>, have_qboot: bool) -> Firmware {
    match forced {
        Some("seabios") => Firmware::Seabios,
        Some("qboot") => Firmware::Qboot,
        _ if have_qboot => Firmware::Qboot,
        _ => Firmware::Seabios,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firmware_is_qboot_when_installed_unless_forced() {
        assert_eq!(firmware(None, true), Firmware::Qboot);
        assert_eq!(firmware(None, false), Firmware::Seabios);
        assert_eq!(firmware(Some("seabios"), true), Firmware::Seabios);
        assert_eq!(firmware(Some("qboot"), false), Firmware::Qboot);
        assert_eq!(firmware(Some("other"), false), Firmware::Seabios);
    }

    #[test]
    fn missing_tools_say_what_the_command_would_do() {
        let mut h = Host::plain();
        for t in exec::TOOLS {
            h.tools
                .insert(t.name, Some(PathBuf::from("/usr/bin").join(t.name)));
        }
        assert_eq!(h.missing_text(exec::Need::Build), None);
        h.tools.insert("flex", None);
        let text = h.missing_text(exec::Need::Build).unwrap();
        assert!(
            text.contains("flex (") && text.contains("would stop"),
            "{text}"
        );
        h.may_install = true;
        let text = h.missing_text(exec::Need::Build).unwrap();
        assert!(text.starts_with("would install first: flex"), "{text}");
        assert_eq!(h.missing(exec::Need::Fetch), vec![]);
    }
}
