//! `junit`: JUnit XML (the `quick-junit` crate). One `testsuite` per file with diagnostics, one
//! failing `testcase` per diagnostic; a clean run is one suite with one passing test case, so
//! that CI test report parsers accept it.

use std::io::Write;

use quick_junit::{NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::Report;
use crate::diagnostic::Diagnostic;

/// The test case of diagnostic `d` (in the suite of file `path`).
fn case(report: &Report<'_>, d: &Diagnostic, path: &str) -> TestCase {
    let (start, _) = report.positions(d.primary.file, d.primary.span);
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message(&*d.message).set_type(d.severity.as_str());
    let mut description = format!("line {}, col {}: {}", start.line, start.column, d.message);
    for label in &d.labels {
        let (at, _) = report.positions(label.file, label.span);
        description.push_str(&format!("\n{}:{}:{}: {}", report.path(label.file), at.line, at.column, label.message));
    }
    if let Some(help) = &d.help {
        description.push_str(&format!("\nhelp: {help}"));
    }
    status.set_description(description);
    let mut case = TestCase::new(format!("{} {}:{}", d.code.code, start.line, start.column), status);
    case.set_classname(path);
    case.add_property(Property::new("code", d.code.code));
    case.add_property(Property::new("severity", d.severity.as_str()));
    case
}

/// The runs of diagnostics of one file (by the path shown), in order: one suite each.
fn runs(report: &Report<'_>) -> Vec<std::ops::Range<usize>> {
    let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
    for (k, d) in report.diagnostics.iter().enumerate() {
        let path = report.path(d.primary.file);
        match runs.last_mut() {
            Some(run) if report.path(report.diagnostics[run.start].primary.file) == path => run.end = k + 1,
            _ => runs.push(k..k + 1),
        }
    }
    runs
}

/// The whole JUnit document of a report (every test case held).
fn document(report: &Report<'_>) -> JunitReport {
    let mut junit = JunitReport::new("uplint");
    for run in runs(report) {
        let path = report.path(report.diagnostics[run.start].primary.file);
        let mut suite = TestSuite::new(path);
        for d in &report.diagnostics[run] {
            suite.add_test_case(case(report, d, path));
        }
        junit.add_test_suite(suite);
    }
    if junit.test_suites.is_empty() {
        let mut clean = TestSuite::new("uplint");
        let mut case = TestCase::new("no problems", TestCaseStatus::success());
        case.set_classname("uplint");
        clean.add_test_case(case);
        junit.add_test_suite(clean);
    }
    junit
}

/// Where a suite's test cases end in the serialised document (its closing tag; text and
/// attributes escape `<`, so this is only ever the tag).
const SUITE_END: &str = "\n    </testsuite>";

/// The document, ending with a newline.
///
/// The test cases are made and written one at a time (a report of tens of thousands of
/// diagnostics held them all, and the whole text, at once): the document is serialised with the
/// first case of each suite and the suites' counts, and each further case, serialised alone in
/// a suite at the same depth, is written before its suite's closing tag (the bytes are those of
/// the whole document). Text is serialised before it is written, so that a closed pipe is
/// reported as such when writing.
pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    let runs = runs(report);
    if runs.iter().all(|run| run.len() == 1) {
        let text = document(report).to_string().map_err(std::io::Error::other)?;
        return writeln!(out, "{text}");
    }
    let mut frame = JunitReport::new("uplint");
    for run in &runs {
        let first = &report.diagnostics[run.start];
        let path = report.path(first.primary.file);
        let mut suite = TestSuite::new(path);
        suite.add_test_case(case(report, first, path));
        (suite.tests, suite.failures) = (run.len(), run.len());
        frame.add_test_suite(suite);
    }
    let frame = frame.to_string().map_err(std::io::Error::other)?;
    let missing = || std::io::Error::other("junit: a suite without its closing tag");
    let mut rest = frame.as_str();
    for run in &runs {
        let end = rest.find(SUITE_END).ok_or_else(missing)?;
        out.write_all(&rest.as_bytes()[..end])?;
        for d in &report.diagnostics[run.start + 1..run.end] {
            let path = report.path(d.primary.file);
            let mut alone = JunitReport::new("uplint");
            let mut suite = TestSuite::new(path);
            suite.add_test_case(case(report, d, path));
            alone.add_test_suite(suite);
            let text = alone.to_string().map_err(std::io::Error::other)?;
            let start = text.find("\n        <testcase").ok_or_else(missing)?;
            let stop = text.rfind(SUITE_END).ok_or_else(missing)?;
            out.write_all(&text.as_bytes()[start..stop])?;
        }
        out.write_all(SUITE_END.as_bytes())?;
        rest = &rest[end + SUITE_END.len()..];
    }
    out.write_all(rest.as_bytes())?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Label, SYNTAX_ERROR, Severity};
    use crate::source::{SourceFile, SourceMap};
    use crate::span::Span;

    /// Cases written one at a time make the bytes of the whole document, whatever the suites.
    #[test]
    fn cases_written_in_turn_make_the_document() {
        let mut sources = SourceMap::default();
        let text = "T | take 1 <a & \"b\">\nT | where x\n";
        let a = sources.add(SourceFile::new("a.kql".into(), "a.kql".to_string(), text.to_string()));
        let b = sources.add(SourceFile::new("b<&>.kql".into(), "b<&>.kql".to_string(), text.to_string()));
        let made = |file, k: usize| {
            Diagnostic::new(
                SYNTAX_ERROR,
                Severity::Error,
                format!("problem {k} <\"&'>"),
                Label::new(file, Span::new(k, k + 2), ""),
            )
            .with_label(Label::new(file, Span::new(12, 14), "</testsuite> here"))
            .with_help("do \"this\"\nthen that")
        };
        let diagnostics = [made(a, 0), made(a, 1), made(a, 2), made(b, 3), made(a, 4), made(a, 5), made(b, 6)];
        let codes = crate::rules::catalog();
        for range in [0..0, 0..1, 0..2, 0..4, 2..5, 3..4, 0..7] {
            let report = Report {
                sources: &sources,
                diagnostics: &diagnostics[range.clone()],
                codes: &codes,
                files: 2,
                policies: Default::default(),
            };
            let whole = format!("{}\n", document(&report).to_string().unwrap());
            let mut written = Vec::new();
            write(&mut written, &report).unwrap();
            assert_eq!(String::from_utf8(written).unwrap(), whole, "{range:?}");
        }
    }
}
