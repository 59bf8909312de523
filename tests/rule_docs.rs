//! Every code's documentation page runs: its example must raise exactly that code (and the
//! codes its page says the example also raises), its fix must raise nothing. The pages are the
//! ones `uplint rule` prints, and they cite the public pages their metadata lists.

use uplint::rules::{RULES, RuleMeta, Settings, all_codes};
use uplint::workspace::{LoadOptions, from_texts};

/// The first ```kql block after the heading `## <section>`, as the text of `example.kql`, or
/// when the section shows a runbook first, its ````markdown block, as the text of `example.md`.
fn code_block<'a>(doc: &'a str, section: &str) -> Option<(&'static str, &'a str)> {
    let after = &doc[doc.find(&format!("\n## {section}\n"))?..];
    let (path, fence) = match (after.find("```kql\n"), after.find("````markdown\n")) {
        (Some(kql), Some(markdown)) if markdown < kql => ("example.md", "````"),
        (None, Some(_)) => ("example.md", "````"),
        _ => ("example.kql", "```"),
    };
    let opening = if path == "example.md" { "````markdown\n" } else { "```kql\n" };
    let start = after.find(opening)? + opening.len();
    let body = &after[start..];
    // The block ends at a fence alone on its line (payloads may hold ``` inside a line).
    let closing = format!("\n{fence}");
    let end = body
        .match_indices(&closing)
        .find(|(i, _)| body[i + closing.len()..].starts_with('\n') || i + closing.len() == body.len())?
        .0;
    Some((path, &body[..end + 1]))
}

/// The codes the text of the `## Example` section says its example also raises, on a line
/// `The example also raises UP003 ...`.
fn also_raised(doc: &str) -> Vec<&'static str> {
    let Some(start) = doc.find("\n## Example\n") else { return Vec::new() };
    let section = &doc[start + 1..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |end| end + 3)];
    let Some(line) = section.lines().find(|l| l.starts_with("The example also raises ")) else { return Vec::new() };
    RULES.iter().map(|r| r.meta().code).filter(|code| line.contains(code)).collect()
}

fn codes((path, text): (&str, &str)) -> Vec<&'static str> {
    let workspace = from_texts(&[(path, text)], &LoadOptions::default());
    // Suppression comments are read after the rules (UP903 and UP904 come from there).
    let diagnostics = uplint::check::check(&workspace, &Settings::default());
    let diagnostics = uplint::suppress::apply(&workspace, diagnostics, &uplint::rules::catalog(), Default::default());
    let mut codes: Vec<&str> = diagnostics.iter().map(|d| d.code.code).collect();
    codes.dedup();
    codes
}

#[test]
fn every_page_has_the_required_sections() {
    for meta in all_codes() {
        let doc = meta.doc;
        assert!(doc.starts_with(&format!("# {}: {}\n", meta.code, meta.name)), "{}: title", meta.code);
        assert!(doc.contains(&format!("Severity: **{}**", meta.severity.as_str())), "{}: severity", meta.code);
        for section in ["What it does", "Why it matters", "Example", "Fix", "Sources"] {
            assert!(doc.contains(&format!("\n## {section}\n")), "{}: no `## {section}`", meta.code);
        }
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("rules/{}-{}.md", meta.code, meta.name));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), doc, "{} is not the page {}", meta.code, path.display());
    }
}

/// The bullet list under `## Sources`.
fn listed_sources(meta: &RuleMeta) -> Vec<&'static str> {
    let after = &meta.doc[meta.doc.find("\n## Sources\n").unwrap() + "\n## Sources\n".len()..];
    let section = &after[..after.find("\n## ").unwrap_or(after.len())];
    section.lines().filter_map(|line| line.strip_prefix("* ")).collect()
}

#[test]
fn every_page_lists_its_public_sources_and_cites_no_internal_document() {
    for meta in all_codes() {
        assert!(!meta.sources.is_empty(), "{}: no sources", meta.code);
        assert!(
            meta.sources.iter().all(|url| url.starts_with("https://learn.microsoft.com/")),
            "{}: {:?}",
            meta.code,
            meta.sources
        );
        assert_eq!(listed_sources(meta), meta.sources, "{}: `## Sources` must list its metadata's sources", meta.code);
        assert!(!meta.doc.contains("spec/") && !meta.doc.contains('§'), "{}: cites an internal document", meta.code);
    }
}

#[test]
fn every_page_is_printed_by_uplint_rule() {
    for meta in all_codes() {
        assert!(std::ptr::eq(uplint::rules::find_code(meta.code).unwrap(), meta), "{}", meta.code);
        assert!(std::ptr::eq(uplint::rules::find_code(meta.name).unwrap(), meta), "{}", meta.name);
    }
    for rule in RULES {
        assert!(uplint::rules::find(rule.meta().code).is_some() && uplint::rules::find(rule.meta().name).is_some());
    }
    for code in [uplint::diagnostic::SYNTAX_ERROR, uplint::diagnostic::UNREADABLE_FILE] {
        assert!(uplint::rules::find_code(code.code).is_some_and(|m| m.code() == code), "{}", code.code);
    }
    assert!(uplint::rules::find_code("UP901").is_some_and(|m| m.name == "syntax-error"));
    assert!(uplint::rules::find_code("unreadable-file").is_some_and(|m| m.code == "UP902"));
}

#[test]
fn every_example_raises_its_code_and_every_fix_is_clean() {
    let mut failures = Vec::new();
    for meta in all_codes() {
        // A code about files rather than text (UP902) shows its example as output, not KQL.
        let Some(example) = code_block(meta.doc, "Example") else {
            assert!(!RULES.iter().any(|r| std::ptr::eq(r.meta(), meta)), "{}: no example", meta.code);
            continue;
        };
        let mut expected = vec![meta.code];
        expected.extend(also_raised(meta.doc));
        expected.sort();
        let mut raised = codes(example);
        raised.sort();
        raised.dedup();
        if raised != expected {
            failures.push(format!("{}: the example raises {raised:?}, not {expected:?}", meta.code));
        }
        let fix = code_block(meta.doc, "Fix").unwrap_or_else(|| panic!("{}: no fix", meta.code));
        let raised = codes(fix);
        if !raised.is_empty() {
            failures.push(format!("{}: the fix raises {raised:?}", meta.code));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for meta in all_codes() {
        assert!(meta.code.starts_with("UP") && meta.code.len() == 5, "{}", meta.code);
        assert!(meta.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", meta.name);
        assert!(seen.insert(meta.code) && seen.insert(meta.name));
    }
}
