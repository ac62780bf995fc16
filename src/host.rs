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
            ccache: None,
            libelf_headers: true,
            firmware: Firmware::Seabios,
        }
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
}
