//! `junit`: JUnit XML (the `quick-junit` crate). One `testsuite` per file with diagnostics, one
//! failing `testcase` per diagnostic; a clean run is one suite with one passing test case, so
//! that CI test report parsers accept it.

use std::io::Write;

use quick_junit::{NonSuccessKind, Property, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use super::Report;

pub fn write(out: &mut dyn Write, report: &Report<'_>) -> std::io::Result<()> {
    let mut junit = JunitReport::new("uplint");
    let mut suite: Option<TestSuite> = None;
    for d in report.diagnostics {
        let path = report.path(d.primary.file);
        if suite.as_ref().is_none_or(|s| s.name.as_str() != path) {
            if let Some(done) = suite.take() {
                junit.add_test_suite(done);
            }
            suite = Some(TestSuite::new(path));
        }
        let (start, _) = report.positions(d.primary.file, d.primary.span);
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_message(&*d.message).set_type(d.severity.as_str());
        let mut description = format!("line {}, col {}: {}", start.line, start.column, d.message);
        for label in &d.labels {
            let (at, _) = report.positions(label.file, label.span);
            description.push_str(&format!(
                "\n{}:{}:{}: {}",
                report.path(label.file),
                at.line,
                at.column,
                label.message
            ));
        }
        if let Some(help) = &d.help {
            description.push_str(&format!("\nhelp: {help}"));
        }
        status.set_description(description);
        let mut case = TestCase::new(format!("{} {}:{}", d.code.code, start.line, start.column), status);
        case.set_classname(path);
        case.add_property(Property::new("code", d.code.code));
        case.add_property(Property::new("severity", d.severity.as_str()));
        if let Some(suite) = suite.as_mut() {
            suite.add_test_case(case);
        }
    }
    match suite {
        Some(done) => {
            junit.add_test_suite(done);
        }
        None => {
            let mut clean = TestSuite::new("uplint");
            let mut case = TestCase::new("no problems", TestCaseStatus::success());
            case.set_classname("uplint");
            clean.add_test_case(case);
            junit.add_test_suite(clean);
        }
    }
    // Serialised to text first, so that a closed pipe is reported as such when writing.
    let text = junit.to_string().map_err(std::io::Error::other)?;
    writeln!(out, "{text}")
}
