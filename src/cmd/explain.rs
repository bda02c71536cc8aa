//! `explain IRxxx`: a finding code's meaning, why it matters, how to fix it, and an example.

use crate::error::Error;
use crate::finding::CATALOGUE;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The finding code, e.g. IR102.
    #[arg(value_name = "CODE", required_unless_present = "markdown")]
    pub code: Option<String>,

    /// Print the whole catalogue as Markdown (docs/findings.md is this output).
    #[arg(long, conflicts_with = "code")]
    pub markdown: bool,
}

pub fn run(args: &Args, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    if args.markdown {
        super::write(stdout, &crate::explain::findings_markdown())?;
        return Ok(0);
    }
    let wanted = args.code.as_deref().unwrap_or_default().trim();
    let code = CATALOGUE
        .iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            Error::Input(format!(
                "no finding code {wanted:?} (kubectl istio-rev codes lists them)"
            ))
        })?;
    super::write(stdout, &crate::explain::text(*code))?;
    Ok(0)
}
