//! The KQL front end on any text: a query, a function declaration `(params) { body }`, a
//! braced body, and the type engine's output schema. Nothing may panic, hang or overflow the
//! stack, and every span must lie within the text on a character boundary.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uplint::kql;
use uplint::span::Span;

fn within(text: &str, span: Span) {
    let (start, end) = (span.start as usize, span.end as usize);
    assert!(start <= end && end <= text.len(), "span {start}..{end} outside a text of {}", text.len());
    assert!(text.is_char_boundary(start) && text.is_char_boundary(end), "span {start}..{end} splits a character");
}

fn check(text: &str, analyzed: &kql::AnalyzedQuery) {
    for error in analyzed.errors() {
        within(text, error.span);
    }
    for reference in analyzed.analysis.references() {
        within(text, reference.span);
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    check(text, &kql::analyze_query(text));
    check(text, &kql::analyze_function(text));
    check(text, &kql::analyze_body(text));
    let _ = kql::starts_with_command(text);
    let _ = kql::types::query_schema(text, &mut kql::types::NoEnvironment);
});
