//! The configuration loader on any `uplint.toml` text: parsing (with the key path and line of
//! an error) and checking (globs, rule codes, databases, severities). It may refuse the text,
//! never panic; an error's line must be a line of the text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use uplint::config::{self, Config, Overrides};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let lines = text.matches('\n').count() + 1;
    match config::parse(text) {
        Err((line, _)) => assert!(line.is_none_or(|l| (1..=lines).contains(&l)), "line {line:?} of {lines}"),
        Ok(file) => {
            let root = Path::new("/project");
            match Config::from_file(file, Some(root.join("uplint.toml")), root, text, &Overrides::default()) {
                Ok(config) => {
                    let _ = config.describe();
                    let _ = config.load_options(false);
                }
                Err(error) => assert!(error.line.is_none_or(|l| (1..=lines).contains(&l)), "{error:?}"),
            }
        }
    }
});
