//! `codes`: the finding catalogue.

use crate::cli::flags::PlainOutputArgs;
use crate::error::Error;
use crate::finding::{CATALOGUE, Code, Severity};
use crate::render::{self, Format};
use serde::Serialize;

#[derive(Serialize)]
struct Row {
    code: Code,
    severity: Severity,
    title: &'static str,
}

pub fn run(output: &PlainOutputArgs, stdout: &mut dyn std::io::Write) -> Result<u8, Error> {
    render::set_color(output.color_choice());
    let rows: Vec<Row> = CATALOGUE
        .iter()
        .map(|c| Row {
            code: *c,
            severity: c.severity(),
            title: c.title(),
        })
        .collect();
    let text = match output.format {
        Format::Table => {
            let mut t = render::table();
            t.set_header(["CODE", "SEVERITY", "MEANING"]);
            for r in &rows {
                t.add_row([
                    r.code.to_string(),
                    r.severity.to_string(),
                    r.title.to_string(),
                ]);
            }
            render::table_text(&t)
        }
        Format::Json => render::json(&rows),
        Format::Yaml => render::yaml(&rows),
        Format::Junit | Format::Sarif | Format::Markdown | Format::Github => {
            return Err(Error::Input(
                "codes prints -o table, json or yaml (the SARIF output of any command carries the catalogue as its rules)"
                    .to_string(),
            ));
        }
    };
    super::write(stdout, &text)?;
    Ok(0)
}
