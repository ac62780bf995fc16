//! Persistent-memory setup through libnvdimm's sysfs, without ndctl.
//!
//! [`scan`] reads the regions and namespaces under `/sys/bus/nd/devices`;
//! [`plan_fsdax`] turns one region's state into the ordered sysfs writes
//! that make its raw namespace an fsdax one (the same sequence as ndctl's
//! `create-namespace -m fsdax -a ALIGN`, see `setup_namespace()` in
//! ndctl/namespace.c): that part is pure and unit-tested. [`apply`] performs
//! the writes and waits for the block device. Every failure names the sysfs
//! file, the value written and the errno.
//!
//! The sequence, for region `regionN` with namespace `namespaceN.0`:
//!
//! 1. label-less namespace (`DEVTYPE=nd_namespace_io`; what a QEMU NVDIMM
//!    with a fresh, zeroed label area gives, since the kernel only turns on
//!    labelling when it finds a valid index block) bound as raw: unbind it
//!    from `nd_pmem`, else the pfn device cannot claim it (EBUSY);
//!    labelled namespace (`nd_namespace_pmem`, after `ndctl init-labels`):
//!    `uuid`, `alt_name` and `size` on the size-0 seed. 6.12 already rounds
//!    `available_size` down to `regionN/align` (16 MiB by default), so that
//!    size is accepted as is; `regionN/align` is written (2 MiB) only for a
//!    snapshot where it is not a multiple;
//! 2. on the pfn seed named by `regionN/pfn_seed`: `uuid`, `mode` = `pmem`
//!    (memmap in device memory), `align`, `namespace` = `namespaceN.0`;
//! 3. bind the pfn device to `nd_pmem`; `/dev/pmemN` appears.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::sys;

pub const SYSFS_ND_DEVICES: &str = "/sys/bus/nd/devices";
pub const SYSFS_ND_DRIVERS: &str = "/sys/bus/nd/drivers";
pub const SZ_2M: u64 = 2 << 20;
pub const SZ_4K: u64 = 4096;

/// A failed sysfs access, with everything needed to reproduce it by hand.
#[derive(Debug)]
pub struct SysfsError {
    pub path: PathBuf,
    /// `None` for reads.
    pub value: Option<String>,
    pub err: io::Error,
}

impl fmt::Display for SysfsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(
                f,
                "writing {v:?} to {}: {}",
                self.path.display(),
                sys::errno_text(&self.err)
            ),
            None => write!(
                f,
                "reading {}: {}",
                self.path.display(),
                sys::errno_text(&self.err)
            ),
        }
    }
}

/// The libnvdimm sysfs tree; rooted elsewhere in tests.
#[derive(Debug, Clone)]
pub struct Sysfs {
    pub devices: PathBuf,
    pub drivers: PathBuf,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs {
            devices: SYSFS_ND_DEVICES.into(),
            drivers: SYSFS_ND_DRIVERS.into(),
        }
    }
}

impl Sysfs {
    pub fn attr(&self, dev: &str, attr: &str) -> PathBuf {
        self.devices.join(dev).join(attr)
    }

    pub fn read(&self, dev: &str, attr: &str) -> Result<String, SysfsError> {
        let path = self.attr(dev, attr);
        std::fs::read_to_string(&path)
            .map(|s| s.trim().to_owned())
            .map_err(|err| SysfsError {
                path,
                value: None,
                err,
            })
    }

    fn read_u64(&self, dev: &str, attr: &str) -> Result<u64, SysfsError> {
        let s = self.read(dev, attr)?;
        parse_u64(&s).ok_or_else(|| SysfsError {
            path: self.attr(dev, attr),
            value: None,
            err: io::Error::new(io::ErrorKind::InvalidData, format!("not a number: {s:?}")),
        })
    }

    /// The path a [`Step`] writes to.
    pub fn step_path(&self, step: &Step) -> PathBuf {
        match step {
            Step::Write { dev, attr, .. } => self.attr(dev, attr),
            Step::Unbind { driver, .. } => self.drivers.join(driver).join("unbind"),
            Step::Bind { driver, .. } => self.drivers.join(driver).join("bind"),
        }
    }

    pub fn apply_step(&self, step: &Step) -> Result<(), SysfsError> {
        let path = self.step_path(step);
        let value = match step {
            Step::Write { value, .. } => value.clone(),
            Step::Unbind { dev, .. } | Step::Bind { dev, .. } => dev.clone(),
        };
        // One write(2) per attribute: sysfs store handlers see the whole value.
        std::fs::write(&path, format!("{value}\n")).map_err(|err| SysfsError {
            path,
            value: Some(value),
            err,
        })
    }
}

/// Decimal or `0x` hex, as libnvdimm prints.
fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// Numeric suffix of `region12` / `namespace3.1` for natural ordering.
fn dev_index(name: &str, prefix: &str) -> Option<(u32, u32)> {
    let rest = name.strip_prefix(prefix)?;
    let mut it = rest.splitn(2, '.');
    let a = it.next()?.parse().ok()?;
    let b = match it.next() {
        Some(b) => b.parse().ok()?,
        None => 0,
    };
    Some((a, b))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NsKind {
    /// Label-less: spans the whole region, size fixed.
    Io,
    /// Label-backed: sized by writing `size`.
    Pmem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub name: String,
    pub kind: NsKind,
    /// The kernel's names: `raw`, `memory` (fsdax: claimed by a pfn
    /// device), `dax` (devdax), `safe` (sector).
    pub mode: String,
    pub size: u64,
    /// Driver the namespace is bound to, if any.
    pub driver: Option<String>,
}

impl Namespace {
    /// ndctl calls it fsdax; the kernel's `mode` attribute says `memory`.
    pub fn is_fsdax(&self) -> bool {
        self.mode == "memory" || self.mode == "fsdax"
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub name: String,
    pub size: u64,
    pub align: u64,
    pub available_size: u64,
    pub pfn_seed: String,
    pub namespaces: Vec<Namespace>,
}

fn list(dir: &Path, prefix: &str) -> Result<Vec<String>, SysfsError> {
    let rd = std::fs::read_dir(dir).map_err(|err| SysfsError {
        path: dir.to_owned(),
        value: None,
        err,
    })?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| dev_index(n, prefix).is_some())
        .collect();
    names.sort_by_key(|n| dev_index(n, prefix));
    Ok(names)
}

fn driver_of(path: &Path) -> Option<String> {
    let target = std::fs::read_link(path.join("driver")).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

/// Reads every NVDIMM region and its namespaces, ordered by index (region0
/// is the first `-device nvdimm` QEMU was given).
pub fn scan(sys: &Sysfs) -> Result<Vec<Region>, SysfsError> {
    let mut regions = Vec::new();
    for name in list(&sys.devices, "region")? {
        let mut namespaces = Vec::new();
        let prefix = format!(
            "namespace{}.",
            dev_index(&name, "region").unwrap_or_default().0
        );
        for ns in list(&sys.devices, "namespace")? {
            if !ns.starts_with(&prefix) {
                continue;
            }
            let uevent = sys.read(&ns, "uevent").unwrap_or_default();
            let kind = if uevent.contains("DEVTYPE=nd_namespace_io") {
                NsKind::Io
            } else {
                NsKind::Pmem
            };
            namespaces.push(Namespace {
                kind,
                mode: sys.read(&ns, "mode")?,
                size: sys.read_u64(&ns, "size")?,
                driver: driver_of(&sys.devices.join(&ns)),
                name: ns,
            });
        }
        regions.push(Region {
            size: sys.read_u64(&name, "size")?,
            align: sys.read_u64(&name, "align").unwrap_or(0),
            available_size: sys.read_u64(&name, "available_size").unwrap_or(0),
            pfn_seed: sys.read(&name, "pfn_seed")?,
            name,
            namespaces,
        });
    }
    Ok(regions)
}

/// One sysfs action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Write {
        dev: String,
        attr: &'static str,
        value: String,
    },
    Unbind {
        driver: String,
        dev: String,
    },
    Bind {
        driver: String,
        dev: String,
    },
}

impl Step {
    fn write(dev: &str, attr: &'static str, value: impl ToString) -> Step {
        Step::Write {
            dev: dev.to_owned(),
            attr,
            value: value.to_string(),
        }
    }
}

/// What to do with a region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FsdaxPlan {
    /// A namespace is already fsdax (a pfn info block from an earlier run
    /// was found at boot): use it as is.
    Existing { namespace: String },
    Convert {
        namespace: String,
        pfn: String,
        steps: Vec<Step>,
    },
}

/// The ordered sysfs steps that make `region`'s first usable namespace an
/// fsdax one with the given pfn alignment. Pure.
pub fn plan_fsdax(
    region: &Region,
    align: u64,
    ns_uuid: &str,
    pfn_uuid: &str,
) -> Result<FsdaxPlan, String> {
    if let Some(ns) = region.namespaces.iter().find(|n| n.is_fsdax()) {
        return Ok(FsdaxPlan::Existing {
            namespace: ns.name.clone(),
        });
    }
    let ns = region
        .namespaces
        .iter()
        .find(|n| n.mode == "raw" || (n.kind == NsKind::Pmem && n.size == 0))
        .ok_or_else(|| {
            format!(
                "{}: no raw namespace to convert (namespaces: {})",
                region.name,
                describe(&region.namespaces)
            )
        })?;
    if region.pfn_seed.is_empty() {
        return Err(format!(
            "{}: no pfn seed (CONFIG_NVDIMM_PFN off?)",
            region.name
        ));
    }
    let mut steps = Vec::new();
    if let Some(driver) = &ns.driver {
        steps.push(Step::Unbind {
            driver: driver.clone(),
            dev: ns.name.clone(),
        });
    }
    if ns.kind == NsKind::Pmem {
        // The namespace size must be a multiple of the region alignment
        // (16 MiB by default). 6.12 reports available_size rounded down to
        // it (seen: region 1022 MiB, available 1008 MiB), so this only
        // triggers on kernels that do not.
        let mut region_align = region.align.max(SZ_4K);
        let aligned = region.available_size / region_align * region_align;
        if aligned != region.available_size && region_align != SZ_2M {
            steps.push(Step::write(&region.name, "align", SZ_2M));
            region_align = SZ_2M;
        }
        let size = region.available_size / region_align * region_align;
        if size == 0 {
            return Err(format!(
                "{}: available_size {} is smaller than the region alignment {region_align}",
                region.name, region.available_size
            ));
        }
        steps.push(Step::write(&ns.name, "uuid", ns_uuid));
        steps.push(Step::write(&ns.name, "alt_name", "daxkit"));
        steps.push(Step::write(&ns.name, "size", size));
    }
    let pfn = region.pfn_seed.clone();
    steps.push(Step::write(&pfn, "uuid", pfn_uuid));
    steps.push(Step::write(&pfn, "mode", "pmem"));
    steps.push(Step::write(&pfn, "align", align));
    steps.push(Step::write(&pfn, "namespace", &ns.name));
    steps.push(Step::Bind {
        driver: "nd_pmem".into(),
        dev: pfn.clone(),
    });
    Ok(FsdaxPlan::Convert {
        namespace: ns.name.clone(),
        pfn,
        steps,
    })
}

fn describe(ns: &[Namespace]) -> String {
    if ns.is_empty() {
        return "none".into();
    }
    ns.iter()
        .map(|n| format!("{} mode={} size={}", n.name, n.mode, n.size))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A ready fsdax block device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub region: String,
    /// The device holding the namespace: `pfn0.1`, or the namespace itself
    /// for legacy memmap pmem.
    pub holder: String,
    pub dev: PathBuf,
    /// pfn alignment; 0 without a pfn device (memmap pmem).
    pub align: u64,
    pub size: u64,
    /// Physical address where the data starts (after the pfn info block
    /// and the memmap), from `<holder>/resource`. Its 2 MiB alignment, not
    /// the pfn `align`, is what decides whether PMD faults are possible.
    pub data_start: Option<u64>,
    /// The sysfs writes performed, for the setup record.
    pub log: Vec<String>,
}

/// Performs `plan` on `region` and waits for the block device.
pub fn apply(sys: &Sysfs, region: &Region, plan: &FsdaxPlan) -> Result<Device, String> {
    let mut log = Vec::new();
    let holder = match plan {
        FsdaxPlan::Existing { namespace } => {
            let holder = find_pfn_holder(sys, namespace)?;
            log.push(format!(
                "reused: {namespace} came up fsdax, claimed by {holder} (a pfn info block from an earlier run)"
            ));
            holder
        }
        FsdaxPlan::Convert { pfn, steps, .. } => {
            for step in steps {
                let path = sys.step_path(step);
                if let Err(e) = sys.apply_step(step) {
                    // Leave the seed reusable, like ndctl's autorecover.
                    let _ = sys.apply_step(&Step::write(pfn, "namespace", ""));
                    return Err(e.to_string());
                }
                log.push(match step {
                    Step::Write { value, .. } => format!("{}={value}", path.display()),
                    Step::Unbind { dev, .. } | Step::Bind { dev, .. } => {
                        format!("{}<-{dev}", path.display())
                    }
                });
            }
            pfn.clone()
        }
    };
    let block = wait_block(sys, &holder, Duration::from_secs(10))?;
    let dev = PathBuf::from("/dev").join(&block);
    wait_path(&dev, Duration::from_secs(10))?;
    let align = sys.read_u64(&holder, "align").map_err(|e| e.to_string())?;
    let size = std::fs::read_to_string(
        sys.devices
            .join(&holder)
            .join("block")
            .join(&block)
            .join("size"),
    )
    .ok()
    .and_then(|s| parse_u64(&s))
    .map_or(0, |sectors| sectors * 512);
    Ok(Device {
        region: region.name.clone(),
        data_start: sys.read_u64(&holder, "resource").ok(),
        holder,
        dev,
        align,
        size,
        log,
    })
}

fn find_pfn_holder(sys: &Sysfs, namespace: &str) -> Result<String, String> {
    for pfn in list(&sys.devices, "pfn").map_err(|e| e.to_string())? {
        if sys.read(&pfn, "namespace").ok().as_deref() == Some(namespace) {
            return Ok(pfn);
        }
    }
    Err(format!("{namespace} is fsdax but no pfn device claims it"))
}

/// The kernel adds `<holder>/block/pmemN` when nd_pmem attaches the disk.
fn wait_block(sys: &Sysfs, holder: &str, timeout: Duration) -> Result<String, String> {
    let dir = sys.devices.join(holder).join("block");
    let start = Instant::now();
    loop {
        if let Some(name) = std::fs::read_dir(&dir)
            .ok()
            .and_then(|mut rd| rd.next())
            .and_then(|e| e.ok())
            .and_then(|e| e.file_name().into_string().ok())
        {
            return Ok(name);
        }
        if start.elapsed() > timeout {
            return Err(format!(
                "{} did not appear within {} s (driver: {})",
                dir.display(),
                timeout.as_secs(),
                driver_of(&sys.devices.join(holder)).unwrap_or_else(|| "none".into())
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

pub fn wait_path(path: &Path, timeout: Duration) -> Result<(), String> {
    let start = Instant::now();
    while !path.exists() {
        if start.elapsed() > timeout {
            return Err(format!(
                "{} did not appear within {} s",
                path.display(),
                timeout.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// A fresh random UUID from the kernel.
pub fn new_uuid() -> Result<String, String> {
    let p = "/proc/sys/kernel/random/uuid";
    std::fs::read_to_string(p)
        .map(|s| s.trim().to_owned())
        .map_err(|e| format!("reading {p}: {}", sys::errno_text(&e)))
}

/// Legacy `memmap=` pmem: `/dev/pmem0` is DAX-capable as is (its region
/// has ND_REGION_PAGEMAP, so nd_pmem maps struct pages itself).
pub fn memmap_device() -> Result<Device, String> {
    let dev = PathBuf::from("/dev/pmem0");
    let cmdline = std::fs::read_to_string("/proc/cmdline").unwrap_or_default();
    wait_path(&dev, Duration::from_secs(5)).map_err(|e| memmap_hint(&e, &cmdline))?;
    Ok(Device {
        region: "region0".into(),
        holder: "namespace0.0".into(),
        dev,
        align: 0,
        size: std::fs::read_to_string("/sys/class/block/pmem0/size")
            .ok()
            .and_then(|s| parse_u64(&s))
            .map_or(0, |sectors| sectors * 512),
        data_start: Sysfs::default().read_u64("namespace0.0", "resource").ok(),
        log: Vec::new(),
    })
}

/// Why /dev/pmem0 is missing in memmap mode. Pure.
fn memmap_hint(err: &str, cmdline: &str) -> String {
    match cmdline
        .split_whitespace()
        .find(|w| w.starts_with("memmap="))
    {
        None => format!("{err}: no memmap=SIZE!OFFSET on the kernel command line"),
        Some(m) => format!(
            "{err} despite {m}: nd_pmem rejected the range (see the console; it must be \
             RAM, not overlap firmware-reserved memory, and be 2 MiB aligned)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(ns: Vec<Namespace>, align: u64, avail: u64) -> Region {
        Region {
            name: "region0".into(),
            size: 1 << 30,
            align,
            available_size: avail,
            pfn_seed: "pfn0.0".into(),
            namespaces: ns,
        }
    }

    fn ns(kind: NsKind, mode: &str, size: u64, driver: Option<&str>) -> Namespace {
        Namespace {
            name: "namespace0.0".into(),
            kind,
            mode: mode.into(),
            size,
            driver: driver.map(Into::into),
        }
    }

    fn w(dev: &str, attr: &'static str, v: &str) -> Step {
        Step::write(dev, attr, v)
    }

    fn check(r: &Region, align: u64, want: &[Step]) {
        match plan_fsdax(r, align, "U-NS", "U-PFN").unwrap() {
            FsdaxPlan::Convert { steps, .. } => assert_eq!(steps, want),
            other => panic!("{other:?}"),
        }
    }

    fn pfn_tail(align: &str) -> Vec<Step> {
        vec![
            w("pfn0.0", "uuid", "U-PFN"),
            w("pfn0.0", "mode", "pmem"),
            w("pfn0.0", "align", align),
            w("pfn0.0", "namespace", "namespace0.0"),
            Step::Bind {
                driver: "nd_pmem".into(),
                dev: "pfn0.0".into(),
            },
        ]
    }

    #[test]
    fn label_less_raw_namespace_is_unbound_then_claimed() {
        let r = region(
            vec![ns(NsKind::Io, "raw", 1 << 30, Some("nd_pmem"))],
            SZ_2M * 8,
            0,
        );
        let mut want = vec![Step::Unbind {
            driver: "nd_pmem".into(),
            dev: "namespace0.0".into(),
        }];
        want.extend(pfn_tail("2097152"));
        check(&r, SZ_2M, &want);
    }

    #[test]
    fn labelled_seed_gets_region_align_uuid_and_size() {
        // 1 GiB backend minus QEMU's label area, rounded to 2 MiB: not a
        // multiple of the default 16 MiB region alignment.
        let avail = (1 << 30) - SZ_2M;
        let r = region(vec![ns(NsKind::Pmem, "raw", 0, None)], 16 << 20, avail);
        let mut want = vec![
            w("region0", "align", "2097152"),
            w("namespace0.0", "uuid", "U-NS"),
            w("namespace0.0", "alt_name", "daxkit"),
            w("namespace0.0", "size", &avail.to_string()),
        ];
        want.extend(pfn_tail("4096"));
        check(&r, SZ_4K, &want);
    }

    #[test]
    fn labelled_seed_with_aligned_size_keeps_region_align() {
        let r = region(vec![ns(NsKind::Pmem, "raw", 0, None)], 16 << 20, 1 << 30);
        let mut want = vec![
            w("namespace0.0", "uuid", "U-NS"),
            w("namespace0.0", "alt_name", "daxkit"),
            w("namespace0.0", "size", "1073741824"),
        ];
        want.extend(pfn_tail("2097152"));
        check(&r, SZ_2M, &want);
    }

    #[test]
    fn fsdax_namespace_is_reused() {
        // Seen on 6.12 when the backing file kept the pfn info block of an
        // earlier run: the namespace comes up claimed, mode "memory".
        let r = region(vec![ns(NsKind::Io, "memory", 1 << 30, None)], SZ_2M, 0);
        assert_eq!(
            plan_fsdax(&r, SZ_2M, "a", "b").unwrap(),
            FsdaxPlan::Existing {
                namespace: "namespace0.0".into()
            }
        );
    }

    #[test]
    fn no_namespace_is_an_error_naming_the_region() {
        let r = region(vec![ns(NsKind::Io, "dax", 1 << 30, None)], SZ_2M, 0);
        let e = plan_fsdax(&r, SZ_2M, "a", "b").unwrap_err();
        assert!(
            e.starts_with("region0: no raw namespace") && e.contains("mode=dax"),
            "{e}"
        );
    }

    #[test]
    fn memmap_hints() {
        assert!(memmap_hint("e", "console=ttyS0")
            .ends_with("no memmap=SIZE!OFFSET on the kernel command line"));
        assert!(memmap_hint("e", "console=ttyS0 memmap=1G!1G").contains("despite memmap=1G!1G"));
    }

    #[test]
    fn dev_index_orders_naturally() {
        assert_eq!(dev_index("region10", "region"), Some((10, 0)));
        assert_eq!(dev_index("namespace1.2", "namespace"), Some((1, 2)));
        assert_eq!(dev_index("regionX", "region"), None);
        assert_eq!(parse_u64("0x200000"), Some(SZ_2M));
        assert_eq!(parse_u64("4096\n"), Some(4096));
    }

    #[test]
    fn scan_and_paths_on_a_fake_sysfs() {
        let root = std::env::temp_dir().join(format!("daxkit-nd-{}", sys::getpid()));
        let dev = root.join("devices");
        let put = |p: &str, v: &str| {
            let p = dev.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, v).unwrap();
        };
        for r in ["region0", "region1", "region10"] {
            put(&format!("{r}/size"), "1073741824\n");
            put(&format!("{r}/align"), "0x1000000\n");
            put(&format!("{r}/available_size"), "0\n");
            put(&format!("{r}/pfn_seed"), &format!("pfn{}.0\n", &r[6..]));
        }
        put("namespace1.0/uevent", "DEVTYPE=nd_namespace_io\n");
        put("namespace1.0/mode", "raw\n");
        put("namespace1.0/size", "1073741824\n");
        let sys = Sysfs {
            devices: dev.clone(),
            drivers: root.join("drivers"),
        };
        let regions = scan(&sys).unwrap();
        let names: Vec<_> = regions.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["region0", "region1", "region10"]);
        assert_eq!(regions[1].align, 16 << 20);
        assert_eq!(regions[1].namespaces[0].kind, NsKind::Io);
        assert!(regions[2].namespaces.is_empty());
        assert_eq!(
            sys.step_path(&Step::Bind {
                driver: "nd_pmem".into(),
                dev: "pfn1.0".into()
            }),
            root.join("drivers/nd_pmem/bind")
        );
        let e = sys.apply_step(&w("pfn9.9", "align", "4096")).unwrap_err();
        assert!(e.to_string().starts_with("writing \"4096\" to "), "{e}");
        assert!(e.to_string().contains("pfn9.9/align: ENOENT"), "{e}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
