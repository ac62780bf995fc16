//! `clap::ValueEnum` for the stages' plain enums: the stage owns the type,
//! the CLI owns its spelling on the command line and its help, so no
//! stage derives or imports anything of clap. A variant added to a stage
//! enum fails to compile here until it is given a name.

use crate::{check_series, doctor, kconfig, report, vm};
use clap::builder::PossibleValue;
use clap::ValueEnum;

/// `value_enum!(Type { Variant => "name" [: "help"], ... })`.
macro_rules! value_enum {
    ($t:ty { $($v:ident => $name:literal $(: $help:literal)?),* $(,)? }) => {
        impl ValueEnum for $t {
            fn value_variants<'a>() -> &'a [Self] {
                &[$(Self::$v),*]
            }
            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(match self {
                    $(Self::$v => PossibleValue::new($name)$(.help($help))?,)*
                })
            }
        }
    };
}

value_enum!(kconfig::Profile {
    Default => "default": "base, dax, probes and rust fragments",
    Debug => "debug": "The defaults plus kernel-config/debug.config",
});

value_enum!(vm::PmemArg {
    Nvdimm => "nvdimm",
    Memmap => "memmap",
});

value_enum!(vm::accel::AccelArg {
    Auto => "auto",
    Kvm => "kvm",
    Tcg => "tcg",
});

value_enum!(vm::FaultArg {
    KernelPanic => "kernel-panic",
    Hang => "hang",
    CasePanic => "case-panic",
    Disagree => "disagree",
    Splat => "splat",
    DropResult => "drop-result",
});

value_enum!(check_series::Checks {
    All => "all",
    Objects => "objects",
    None => "none",
});

value_enum!(doctor::Format {
    Text => "text",
    Json => "json",
});

value_enum!(report::MatrixFormat {
    Github => "github": "JSON for a GitHub Actions `strategy.matrix` (`{\"include\": [...]}`)",
    Gitlab => "gitlab": "YAML: a GitLab CI job with `parallel:matrix`, and the merge job",
});
