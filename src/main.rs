use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(code) = kubectl_istio_rev::cmd::completion::intercept(&args) {
        return ExitCode::from(code);
    }
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
