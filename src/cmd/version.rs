//! `version`: the plugin's version, the API server's Kubernetes version and each control-plane
//! revision's Istio version, live or from a snapshot (`--client`: the plugin alone, no cluster).

use crate::cli::flags::{PlainOutputArgs, SourceArgs};
use crate::error::Error;
use crate::render::{self, Format};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Only the plugin's own version; no cluster is read (as `kubectl version --client`).
    #[arg(long)]
    pub client: bool,

    #[command(flatten)]
    pub output: PlainOutputArgs,
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    render::set_color(args.output.color_choice());
    crate::progress::set_wanted(args.output.format == Format::Table);
    let report = if args.client {
        crate::version::client_only()
    } else {
        if args.source.fleet()?.is_some() {
            return Err(Error::Input(
                "version reads one cluster; drop --all-contexts or the context list".to_string(),
            ));
        }
        let (server, inventory) = crate::source::load_control_planes(&args.source.options())?;
        crate::version::build(server, &inventory)
    };
    let text = match args.output.format {
        Format::Table => render::version::text(&report),
        Format::Json => render::json(&report),
        Format::Yaml => render::yaml(&report),
        Format::Junit | Format::Sarif | Format::Markdown | Format::Github => {
            return Err(Error::Input(
                "version prints -o table, json or yaml: it reports versions, not findings"
                    .to_string(),
            ));
        }
    };
    super::write(stdout, &text)?;
    // Part of the cluster refused: the versions shown may be incomplete, which the exit
    // contract spells 3 for every command.
    Ok(if report.not_checked.is_empty() { 0 } else { 3 })
}
