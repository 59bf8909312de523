//! The whole check of a small project: the input is cut at lines `%%` into up to three files
//! (`Sales/a.kql`, `b.csl`, `runbook.md`), loaded from their texts, checked (rules, suppression
//! comments, baseline), and rendered in every format of `check`, `refs` and `model`. Nothing may
//! panic, and every diagnostic must point into its file.
#![no_main]

use codespan_reporting::term::termcolor::NoColor;
use libfuzzer_sys::fuzz_target;
use uplint::baseline::Baseline;
use uplint::render::{self, Format, Report};
use uplint::workspace::{LoadOptions, from_texts};
use uplint::{check, rules, suppress, typecheck};

const NAMES: [&str; 3] = ["Sales/a.kql", "b.csl", "runbook.md"];

const FORMATS: [Format; 9] = [
    Format::Human,
    Format::Concise,
    Format::Json,
    Format::JsonLines,
    Format::Sarif,
    Format::Github,
    Format::Gitlab,
    Format::Junit,
    Format::Checkstyle,
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let files: Vec<(&str, &str)> = NAMES.iter().copied().zip(text.splitn(NAMES.len(), "\n%%\n")).collect();
    let workspace = from_texts(&files, &LoadOptions::default());
    let checked = check::run(&workspace, &rules::Settings::default());
    let codes = rules::catalog();
    let policies = checked.policies();
    let diagnostics = suppress::apply(&workspace, checked.diagnostics, &codes, suppress::Options::default());
    for d in &diagnostics {
        let file = workspace.sources.get(d.primary.file);
        let (start, end) = (d.primary.span.start as usize, d.primary.span.end as usize);
        assert!(start <= end && end <= file.text.len(), "{} {start}..{end} outside {}", d.code.code, file.display);
    }
    let baseline = Baseline::from_json(&Baseline::of(&workspace, &diagnostics).to_json()).expect("a baseline reads back");
    assert!(baseline.filter(&workspace, diagnostics.clone()).diagnostics.is_empty(), "the baseline hides everything");
    let report = Report {
        sources: &workspace.sources,
        diagnostics: &diagnostics,
        codes: &codes,
        files: workspace.sources.len(),
        policies,
    };
    for format in FORMATS {
        let mut out = NoColor::new(Vec::new());
        render::write(format, &mut out, &report).expect("rendering to memory succeeds");
        if matches!(format, Format::Json | Format::Sarif | Format::Gitlab) {
            let written = out.into_inner();
            serde_json::from_slice::<serde_json::Value>(&written).expect("JSON output reads back");
        }
    }
    let mut out = NoColor::new(Vec::new());
    render::refs::write_json(&mut out, &workspace).expect("refs to memory");
    render::refs::write_human(&mut out, &workspace).expect("refs to memory");
    render::model::write_json(&mut out, &workspace, &typecheck::check(&workspace)).expect("model to memory");
});

