//! Packs the files daxkit ships — `patches/`, `kernel-config/`,
//! `vm-images/` and the guest harness's source with `Cargo.lock` — into one
//! tar archive that `src/assets.rs` embeds, so an installed daxkit (`cargo
//! install`) works without its source checkout. The archive is
//! deterministic (sorted entries, fixed mode, owner and mtime); its SHA-256
//! names the folder it is unpacked into.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Shipped folders, packed whole (except build output).
const DIRS: &[&str] = &["patches", "kernel-config", "vm-images", "harness/src"];
/// Single files: what a standalone harness build needs besides its source.
const FILES: &[&str] = &["harness/Cargo.toml", "Cargo.lock"];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap());

    let mut files: Vec<PathBuf> = FILES.iter().map(PathBuf::from).collect();
    for d in DIRS {
        println!("cargo:rerun-if-changed={d}");
        walk(&root, Path::new(d), &mut files);
    }
    for f in FILES {
        println!("cargo:rerun-if-changed={f}");
    }
    println!("cargo:rerun-if-changed=Cargo.toml");
    files.sort();

    let mut tar = tar::Builder::new(Vec::new());
    tar.mode(tar::HeaderMode::Deterministic);
    // The harness is a workspace member (edition, license inherited): a
    // standalone build needs a workspace manifest of its own.
    let manifest = harness_workspace(&std::fs::read_to_string(root.join("Cargo.toml")).unwrap());
    append(
        &mut tar,
        Path::new("Cargo.toml"),
        manifest.as_bytes(),
        0o644,
    );
    for f in &files {
        let data = std::fs::read(root.join(f))
            .unwrap_or_else(|e| panic!("reading {}: {e}", root.join(f).display()));
        let exec = is_executable(&root.join(f));
        append(&mut tar, f, &data, if exec { 0o755 } else { 0o644 });
    }
    let bytes = tar.into_inner().unwrap();
    let key: String = Sha256::digest(&bytes)[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::write(out.join("assets.tar"), &bytes).unwrap();
    println!("cargo:rustc-env=DAXKIT_ASSETS_KEY={key}");
    // `<target>/<profile>/build/daxkit-<hash>/out`: the profile folder. A
    // daxkit whose executable lives below it runs from its checkout.
    let profile_dir = out.ancestors().nth(3).unwrap();
    println!(
        "cargo:rustc-env=DAXKIT_BUILD_PROFILE_DIR={}",
        profile_dir.display()
    );
    git_commit(&root);
}

/// `DAXKIT_GIT_COMMIT`: the commit daxkit is built from, which every
/// report's reproducer record names (unset outside a git checkout). The
/// script reruns when HEAD or its branch moves.
fn git_commit(root: &Path) {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let Some(commit) = git(&["rev-parse", "HEAD"]) else {
        return;
    };
    println!("cargo:rustc-env=DAXKIT_GIT_COMMIT={commit}");
    let mut watch = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watch.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for w in watch {
        if let Some(p) = git(&["rev-parse", "--git-path", &w]) {
            let p = root.join(p);
            // A path that does not exist would rerun the script every build.
            if p.exists() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
        }
    }
}

fn walk(root: &Path, rel: &Path, files: &mut Vec<PathBuf>) {
    let dir = root.join(rel);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for e in entries {
        let e = e.unwrap();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let rel = rel.join(&*name);
        if e.file_type().unwrap().is_dir() {
            walk(root, &rel, files);
        } else {
            files.push(rel);
        }
    }
}

fn append(tar: &mut tar::Builder<Vec<u8>>, path: &Path, data: &[u8], mode: u32) {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(mode);
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, path, data).unwrap();
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The root manifest's `[workspace.package]` table under a workspace whose
/// only member is the harness.
fn harness_workspace(root_manifest: &str) -> String {
    let mut s = String::from(
        "# Written by daxkit's build.rs: the guest harness, built on its own.\n\
         [workspace]\nmembers = [\"harness\"]\nresolver = \"2\"\n\n",
    );
    let mut inside = false;
    for line in root_manifest.lines() {
        if line.starts_with('[') {
            inside = line.trim() == "[workspace.package]";
        }
        if inside {
            s.push_str(line);
            s.push('\n');
        }
    }
    assert!(
        s.contains("[workspace.package]"),
        "Cargo.toml has no [workspace.package]"
    );
    s
}
