//! `snapshot`: what the checks read from the cluster, in the format `--snapshot` reads.

use crate::cli::flags::SourceArgs;
use crate::error::Error;
use crate::inventory::write::{write_json, write_yaml};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Output format of the snapshot.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Yaml,
    Json,
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    let mut source = args.source.options();
    source.connect.without_cluster = "pass --kubeconfig PATH";
    let inventory = crate::source::load(&source)?;
    let mut buf = std::io::BufWriter::new(&mut *stdout);
    let written = match args.format {
        Format::Json => write_json(&inventory, &mut buf),
        Format::Yaml => write_yaml(&inventory, &mut buf),
    };
    written
        .and_then(|()| std::io::Write::flush(&mut buf))
        .or_else(|e| match e.kind() {
            std::io::ErrorKind::BrokenPipe => Ok(()),
            _ => Err(Error::input("stdout", e)),
        })?;
    for u in &inventory.unreadable {
        eprintln!(
            "warning: not in the snapshot: {} in {}: {}",
            u.resource,
            if u.namespace.is_empty() {
                "all namespaces"
            } else {
                &u.namespace
            },
            u.reason
        );
    }
    // The exit contract: a snapshot missing part of the cluster is incomplete (3), whatever it
    // holds.
    Ok(if inventory.unreadable.is_empty() {
        0
    } else {
        3
    })
}
