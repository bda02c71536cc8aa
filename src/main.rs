use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = kubectl_istio_rev::cli::Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match kubectl_istio_rev::run(cli, &mut stdout) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
