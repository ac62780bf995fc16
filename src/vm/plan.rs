//! The QEMU command line, as data: one function per device returning its
//! arguments (each with the reason it is there), and [`plan`] putting them
//! together from a [`VmSpec`]. Pure: no host probing, no files touched;
//! `daxkit run --dry-run` prints the result and the unit tests check it.
//!
//! Guest layout the harness relies on (its side: `RESULTS_PORT` in
//! `harness/src/init.rs`, the regions in `harness/src/pmem.rs`):
//! `ttyS0` is the console, `ttyS1` the result port; with NVDIMMs, region 0
//! (nvdimm0) is the 2 MiB-aligned fsdax namespace for xfs/ext4 and region 1
//! (nvdimm1) the one the guest makes 4 KiB-aligned; with `memmap`, one
//! legacy pmem region (`/dev/pmem0`).

use crate::exec::Cmd;
use daxkit_harness::protocol::PmemMode;
use std::path::{Path, PathBuf};

const KIB: u64 = 1 << 10;
const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;

/// Guest RAM. 1 GiB leaves room for the fsdax struct pages (kept on the
/// device, `map=dev`) and the benchmark's page cache comparisons.
pub const RAM: u64 = GIB;
/// QEMU keeps the NVDIMM label area at the end of the backend and rounds
/// the rest DOWN to the backend's `align` (2 MiB): a backend of
/// `N * 16 MiB + 2 MiB` gives exactly `N * 16 MiB` of pmem. A multiple of
/// 16 MiB (the default region alignment) and of 2 MiB, so a full-size
/// namespace fits whatever region align the guest runtime leaves or sets.
pub const NVDIMM_SLACK: u64 = 2 * MIB;
pub const LABEL_SIZE: u64 = 128 * KIB;
/// Backends are mapped with 2 MiB alignment on the host so the guest
/// physical ranges are 2 MiB-aligned (a PMD mapping needs it end to end).
pub const BACKEND_ALIGN: u64 = 2 * MIB;
/// memmap mode: this much pmem, placed right above the kernel's RAM.
pub const MEMMAP_PMEM: u64 = 2 * GIB;
/// memmap mode: RAM above the pmem range. SeaBIOS reserves the top 128 KiB
/// of low RAM for ACPI tables; a pmem range reaching it was split into a
/// misaligned pair that nd_pmem refused ("misaligned, unable to map").
pub const MEMMAP_HEADROOM: u64 = 128 * MIB;

/// Its serde name is [`Accel::name`] (`report.json`'s `accel`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// The firmware that starts the kernel (`summary.json`: `seabios`, `qboot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Firmware {
    /// QEMU's default, SeaBIOS.
    Seabios,
    /// qboot: a minimal firmware for direct kernel boot (QEMU's
    /// `qboot.rom`). It still hands QEMU's ACPI tables (NFIT included) and
    /// e820 map to the kernel, and cuts ~0.4 s of TCG boot.
    Qboot,
}

/// Where the guest console (ttyS0) goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Console {
    /// A file daxkit tails (runs).
    File(PathBuf),
    /// The terminal, with QEMU's monitor on Ctrl-A (`daxkit shell`).
    Stdio,
}

/// One emulated NVDIMM and its sparse backing file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nvdimm {
    pub id: String,
    pub file: PathBuf,
    /// Backend size (pmem + label area + rounding slack).
    pub size: u64,
}

/// What to boot and how: the inputs of [`plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VmSpec {
    pub qemu: PathBuf,
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    pub run_dir: PathBuf,
    pub pmem: PmemMode,
    pub accel: Accel,
    pub firmware: Firmware,
    pub console: Console,
    /// Result port (ttyS1) file; `None` leaves ttyS1 out.
    pub results: Option<PathBuf>,
    /// `rdinit=`; `None` keeps the kernel's `/init`.
    pub rdinit: Option<String>,
    pub smp: u32,
    /// Appended to the kernel command line as given.
    pub extra_append: Vec<String>,
}

/// A QEMU invocation and the files it needs to exist beforehand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QemuPlan {
    pub cmd: Cmd,
    pub append: String,
    pub nvdimms: Vec<Nvdimm>,
}

/// The NVDIMMs of a run: nvdimm0 (2 GiB) holds the 2 MiB-aligned fsdax
/// namespace that xfs and ext4 are made on in turn; nvdimm1 (1 GiB, xfs
/// needs 300 MiB) becomes the 4 KiB-aligned fsdax namespace.
pub fn nvdimms(run_dir: &Path, pmem: PmemMode) -> Vec<Nvdimm> {
    match pmem {
        PmemMode::Memmap => Vec::new(),
        PmemMode::Nvdimm => [2 * GIB, GIB]
            .iter()
            .enumerate()
            .map(|(i, pmem)| Nvdimm {
                id: format!("nvdimm{i}"),
                file: run_dir.join(format!("nvdimm{i}.img")),
                size: pmem + NVDIMM_SLACK,
            })
            .collect(),
    }
}

fn s(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn size_arg(bytes: u64) -> String {
    if bytes.is_multiple_of(GIB) {
        format!("{}G", bytes / GIB)
    } else if bytes.is_multiple_of(MIB) {
        format!("{}M", bytes / MIB)
    } else {
        format!("{}K", bytes / KIB)
    }
}

/// No default devices (VGA, NIC, floppy, CD, parallel port, monitor) and no
/// host config files: less to probe means a faster boot, and nothing of the
/// host (network, dirs) leaks into the guest. `-no-reboot` turns the
/// kernel's panic reboot (`panic=-1`) into QEMU exiting.
pub fn base_args() -> Vec<String> {
    s(&[
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-nic",
        "none",
        "-no-reboot",
    ])
}

/// `nvdimm=on` makes the `pc` machine build the ACPI NFIT describing the
/// NVDIMMs. `pc` (i440fx) rather than q35: fewer devices to bring up.
pub fn machine_args(pmem: PmemMode) -> Vec<String> {
    match pmem {
        PmemMode::Nvdimm => s(&["-machine", "pc,nvdimm=on"]),
        PmemMode::Memmap => s(&["-machine", "pc"]),
    }
}

/// KVM wants the host CPU model (a named model like kvm64 hung here); TCG
/// keeps QEMU's default CPU, which emulates fastest.
pub fn accel_args(accel: Accel, smp: u32) -> Vec<String> {
    let mut a = match accel {
        Accel::Kvm => s(&["-accel", "kvm", "-cpu", "host"]),
        Accel::Tcg => s(&["-accel", "tcg"]),
    };
    a.extend(s(&["-smp", &smp.to_string()]));
    a
}

/// NVDIMMs are hot-pluggable memory: they need memory slots and `maxmem`
/// room above RAM. memmap pmem is carved out of RAM, so RAM must cover
/// it: the pc machine keeps up to 3.5 GiB below the 4 GiB PCI hole, and
/// `RAM + MEMMAP_PMEM + MEMMAP_HEADROOM` lies entirely below it: [0, 1G)
/// for the kernel, [1G, 3G) for pmem, then 128 MiB of RAM and firmware
/// tables.
pub fn memory_args(pmem: PmemMode) -> Vec<String> {
    match pmem {
        PmemMode::Nvdimm => s(&["-m", &format!("{},slots=4,maxmem=8G", size_arg(RAM))]),
        PmemMode::Memmap => s(&["-m", &size_arg(RAM + MEMMAP_PMEM + MEMMAP_HEADROOM)]),
    }
}

/// The memmap kernel parameter matching [`memory_args`]: `SIZE!OFFSET`
/// marks that range of RAM as legacy persistent memory (e820 type 12).
pub fn memmap_param() -> String {
    format!("memmap={}!{}", size_arg(MEMMAP_PMEM), size_arg(RAM))
}

/// One NVDIMM: a file-backed memory backend shared with the file
/// (`share=on`, so guest writes land in it and mmap semantics are real),
/// 2 MiB-aligned, and the nvdimm device with a label area so the guest
/// can create and reconfigure namespaces.
pub fn nvdimm_args(n: &Nvdimm) -> Vec<String> {
    vec![
        "-object".into(),
        format!(
            "memory-backend-file,id={}-mem,share=on,mem-path={},size={},align={}",
            n.id,
            n.file.display(),
            size_arg(n.size),
            size_arg(BACKEND_ALIGN)
        ),
        "-device".into(),
        format!(
            "nvdimm,id={id},memdev={id}-mem,label-size={}",
            size_arg(LABEL_SIZE),
            id = n.id
        ),
    ]
}

/// SeaBIOS is QEMU's default: nothing to say. qboot by name: QEMU looks
/// it up in its data directory.
pub fn firmware_args(f: Firmware) -> Vec<String> {
    match f {
        Firmware::Seabios => Vec::new(),
        Firmware::Qboot => s(&["-bios", "qboot.rom"]),
    }
}

/// Direct kernel boot: no firmware boot loader, no disk image.
pub fn kernel_args(kernel: &Path, initrd: &Path, append: &str) -> Vec<String> {
    vec![
        "-kernel".into(),
        kernel.display().to_string(),
        "-initrd".into(),
        initrd.display().to_string(),
        "-append".into(),
        append.to_owned(),
    ]
}

/// ttyS0, the kernel console. In a run, a file daxkit tails for panics;
/// in a shell, the terminal multiplexed with the monitor (Ctrl-A X quits,
/// Ctrl-C goes to the guest).
pub fn console_args(c: &Console) -> Vec<String> {
    match c {
        Console::File(p) => vec![
            "-chardev".into(),
            format!("file,id=console,path={}", p.display()),
            "-serial".into(),
            "chardev:console".into(),
        ],
        Console::Stdio => s(&[
            "-chardev",
            "stdio,id=console,mux=on,signal=off",
            "-serial",
            "chardev:console",
            "-mon",
            "chardev=console,mode=readline",
        ]),
    }
}

/// ttyS1, the result port: a file QEMU writes as the guest sends, which
/// daxkit reads live. A file, not a pipe: a slow reader can never stall
/// the guest, and the raw stream is kept as is.
pub fn results_args(p: &Path) -> Vec<String> {
    vec![
        "-chardev".into(),
        format!("file,id=results,path={}", p.display()),
        "-serial".into(),
        "chardev:results".into(),
    ]
}

/// The kernel command line. `panic=-1` reboots at once on a panic (and
/// `-no-reboot` makes that QEMU exiting), `oops=panic` turns an oops into
/// one, so a broken kernel ends the run instead of limping on. No `quiet`:
/// the full boot log is the evidence when something goes wrong, and on the
/// emulated UART it costs little (measured in docs/benchmarks.md).
pub fn append(spec: &VmSpec) -> String {
    let mut a = s(&["console=ttyS0", "panic=-1", "oops=panic"]);
    if spec.pmem == PmemMode::Memmap {
        a.push(memmap_param());
    }
    if let Some(init) = &spec.rdinit {
        a.push(format!("rdinit={init}"));
    }
    a.extend(spec.extra_append.iter().cloned());
    a.join(" ")
}

pub fn plan(spec: &VmSpec) -> QemuPlan {
    let append = append(spec);
    let nvdimms = nvdimms(&spec.run_dir, spec.pmem);
    let mut args = base_args();
    args.extend(machine_args(spec.pmem));
    args.extend(accel_args(spec.accel, spec.smp));
    args.extend(firmware_args(spec.firmware));
    args.extend(memory_args(spec.pmem));
    for n in &nvdimms {
        args.extend(nvdimm_args(n));
    }
    args.extend(console_args(&spec.console));
    if let Some(r) = &spec.results {
        args.extend(results_args(r));
    }
    args.extend(kernel_args(&spec.kernel, &spec.initrd, &append));
    QemuPlan {
        cmd: Cmd::new(&spec.qemu).args(args),
        append,
        nvdimms,
    }
}

/// The KVM probe boot: the kernel alone (no initrd, so it panics at once
/// looking for a root fs), console to a file; reaching that panic proves
/// the CPU model and KVM work.
pub fn probe_plan(qemu: &Path, kernel: &Path, console: &Path) -> Cmd {
    let mut args = base_args();
    args.extend(machine_args(PmemMode::Memmap));
    args.extend(accel_args(Accel::Kvm, 1));
    args.extend(s(&["-m", "256M"]));
    args.extend(console_args(&Console::File(console.to_owned())));
    args.extend(s(&["-kernel", &kernel.display().to_string()]));
    args.extend(s(&["-append", "console=ttyS0 panic=-1"]));
    Cmd::new(qemu).args(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(pmem: PmemMode) -> VmSpec {
        VmSpec {
            qemu: "qemu-system-x86_64".into(),
            kernel: "/k/bzImage".into(),
            initrd: "/r/initrd.img".into(),
            run_dir: "/r".into(),
            pmem,
            accel: Accel::Tcg,
            firmware: Firmware::Seabios,
            console: Console::File("/r/console.log".into()),
            results: Some("/r/results.jsonl".into()),
            rdinit: None,
            smp: 1,
            extra_append: vec![],
        }
    }

    fn args(p: &QemuPlan) -> Vec<String> {
        p.cmd
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    /// `flag value` pairs in order, for compact assertions.
    fn values<'a>(a: &'a [String], flag: &str) -> Vec<&'a str> {
        a.windows(2)
            .filter(|w| w[0] == flag)
            .map(|w| w[1].as_str())
            .collect()
    }

    #[test]
    fn nvdimm_sizes_give_16m_multiples_of_pmem() {
        for n in nvdimms(Path::new("/r"), PmemMode::Nvdimm) {
            // What QEMU will expose: (size - label) rounded down to the align.
            let pmem = (n.size - LABEL_SIZE) / BACKEND_ALIGN * BACKEND_ALIGN;
            assert_eq!(pmem % (16 * MIB), 0, "{n:?}");
            assert!(pmem >= GIB, "{n:?}");
            assert_eq!(n.size % (4 * KIB), 0);
        }
        assert!(nvdimms(Path::new("/r"), PmemMode::Memmap).is_empty());
    }

    #[test]
    fn nvdimm_args_are_shared_aligned_and_labelled() {
        let n = &nvdimms(Path::new("/r"), PmemMode::Nvdimm)[0];
        assert_eq!(
            nvdimm_args(n),
            [
                "-object",
                "memory-backend-file,id=nvdimm0-mem,share=on,mem-path=/r/nvdimm0.img,size=2050M,align=2M",
                "-device",
                "nvdimm,id=nvdimm0,memdev=nvdimm0-mem,label-size=128K",
            ]
        );
    }

    #[test]
    fn memory_covers_nvdimms_and_memmap() {
        assert_eq!(
            memory_args(PmemMode::Nvdimm),
            ["-m", "1G,slots=4,maxmem=8G"]
        );
        let total: u64 = nvdimms(Path::new("/r"), PmemMode::Nvdimm)
            .iter()
            .map(|n| n.size)
            .sum();
        assert!(RAM + total <= 8 * GIB);
        assert_eq!(memory_args(PmemMode::Memmap), ["-m", "3200M"]);
        assert_eq!(memmap_param(), "memmap=2G!1G");
        // Below the pc machine's 3.5 GiB low-memory limit: no 4 GiB split.
        const { assert!(RAM + MEMMAP_PMEM + MEMMAP_HEADROOM < 3 * GIB + GIB / 2) };
    }

    #[test]
    fn machine_accel_console_results() {
        assert_eq!(machine_args(PmemMode::Nvdimm), ["-machine", "pc,nvdimm=on"]);
        assert_eq!(machine_args(PmemMode::Memmap), ["-machine", "pc"]);
        assert_eq!(accel_args(Accel::Tcg, 1), ["-accel", "tcg", "-smp", "1"]);
        assert_eq!(
            accel_args(Accel::Kvm, 2),
            ["-accel", "kvm", "-cpu", "host", "-smp", "2"]
        );
        assert_eq!(
            console_args(&Console::File("/r/c.log".into())),
            [
                "-chardev",
                "file,id=console,path=/r/c.log",
                "-serial",
                "chardev:console"
            ]
        );
        assert!(console_args(&Console::Stdio).contains(&"chardev=console,mode=readline".to_owned()));
        assert_eq!(
            results_args(Path::new("/r/res")),
            [
                "-chardev",
                "file,id=results,path=/r/res",
                "-serial",
                "chardev:results"
            ]
        );
        let base = base_args();
        for want in ["-nodefaults", "-no-reboot", "none"] {
            assert!(base.contains(&want.to_owned()));
        }
    }

    #[test]
    fn firmware() {
        assert!(firmware_args(Firmware::Seabios).is_empty());
        assert_eq!(firmware_args(Firmware::Qboot), ["-bios", "qboot.rom"]);
        let mut sp = spec(PmemMode::Nvdimm);
        sp.firmware = Firmware::Qboot;
        assert_eq!(values(&args(&plan(&sp)), "-bios"), ["qboot.rom"]);
    }

    #[test]
    fn nvdimm_plan() {
        let p = plan(&spec(PmemMode::Nvdimm));
        let a = args(&p);
        assert!(!a.contains(&"-bios".to_owned()));
        assert_eq!(p.append, "console=ttyS0 panic=-1 oops=panic");
        assert_eq!(values(&a, "-append"), [p.append.as_str()]);
        assert_eq!(values(&a, "-device").len(), 2);
        assert_eq!(values(&a, "-kernel"), ["/k/bzImage"]);
        assert_eq!(values(&a, "-initrd"), ["/r/initrd.img"]);
        // ttyS0 (console) comes before ttyS1 (results): order makes the index.
        assert_eq!(
            values(&a, "-serial"),
            ["chardev:console", "chardev:results"]
        );
        assert_eq!(p.nvdimms.len(), 2);
        assert_eq!(p.cmd.program, "qemu-system-x86_64");
    }

    #[test]
    fn memmap_plan_has_no_nvdimm() {
        let mut sp = spec(PmemMode::Memmap);
        sp.rdinit = Some("/shell-init".into());
        sp.extra_append = vec!["loglevel=8".into()];
        let p = plan(&sp);
        let a = args(&p);
        assert!(values(&a, "-device").is_empty());
        assert!(!a.iter().any(|x| x.contains("nvdimm")));
        assert_eq!(
            p.append,
            "console=ttyS0 panic=-1 oops=panic memmap=2G!1G rdinit=/shell-init loglevel=8"
        );
    }

    #[test]
    fn probe_boots_the_kernel_alone_under_kvm() {
        let c = probe_plan(
            Path::new("q"),
            Path::new("/k/bz"),
            Path::new("/r/probe.log"),
        );
        let a: Vec<String> = c
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(values(&a, "-accel"), ["kvm"]);
        assert!(!a.contains(&"-initrd".to_owned()));
        assert!(a.contains(&"-no-reboot".to_owned()));
    }
}
