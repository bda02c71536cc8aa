//! Progress for long work, on stderr, only where a person is watching: stderr is a terminal,
//! `TERM` is not `dumb` (it cannot redraw a line), and the command prints for a person (never
//! with `-o json|yaml`, never under `--watch`, whose frames show the state themselves).
//! `NO_COLOR` drops the colors, not the progress.
//!
//! indicatif draws it: redraws are rate-limited, lines fit the terminal's width, several bars
//! share the screen, and a bar that finishes is cleared without leaving a stray line.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static WANTED: AtomicBool = AtomicBool::new(true);

/// Work shorter than this shows nothing: a flash of bars is noise.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Whether the command's output is for a person (machine output turns progress off).
pub fn set_wanted(on: bool) {
    WANTED.store(on, Ordering::Relaxed);
}

/// Progress is drawn only when wanted, on a terminal that can redraw.
pub fn visible() -> bool {
    WANTED.load(Ordering::Relaxed)
        && std::io::stderr().is_terminal()
        && !std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

fn style(template_colored: &str, template_plain: &str) -> ProgressStyle {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let template = if no_color {
        template_plain
    } else {
        template_colored
    };
    ProgressStyle::with_template(template).expect("a valid progress template")
}

/// Objects listed so far, one spinner per resource, shown once listing takes over a second.
pub struct Listing {
    started: Instant,
    enabled: bool,
    bars: Option<MultiProgress>,
    counts: BTreeMap<&'static str, usize>,
    shown: BTreeMap<&'static str, ProgressBar>,
}

impl Default for Listing {
    fn default() -> Self {
        Self::new()
    }
}

impl Listing {
    pub fn new() -> Self {
        Listing {
            started: Instant::now(),
            enabled: visible(),
            bars: None,
            counts: BTreeMap::new(),
            shown: BTreeMap::new(),
        }
    }

    pub fn update(&mut self, resource: &'static str, count: usize) {
        self.counts.insert(resource, count);
        if !self.enabled || self.started.elapsed() < SHOW_AFTER {
            return;
        }
        let bars = self
            .bars
            .get_or_insert_with(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        for (&resource, &count) in &self.counts {
            let bar = self.shown.entry(resource).or_insert_with(|| {
                let bar = bars.add(ProgressBar::new_spinner());
                bar.set_style(style(
                    "{spinner:.cyan} listing {prefix:.bold}: {human_pos} so far ({elapsed})",
                    "{spinner} listing {prefix}: {human_pos} so far ({elapsed})",
                ));
                bar.set_prefix(resource);
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            bar.set_position(count as u64);
        }
    }

    /// Clears the bars: the report follows on a clean screen.
    pub fn finish(&self) {
        for bar in self.shown.values() {
            bar.finish_and_clear();
        }
        if let Some(bars) = &self.bars {
            let _ = bars.clear();
        }
    }
}
