//! Every rule's documentation page runs: its example must raise exactly that rule, its fix
//! must raise nothing. The pages are the ones `uplint rule` prints.

use uplint::rules::{RULES, Settings};
use uplint::workspace::{LoadOptions, from_texts};

/// The first ```kql block after the heading `## <section>`.
fn code_block<'a>(doc: &'a str, section: &str) -> Option<&'a str> {
    let after = &doc[doc.find(&format!("\n## {section}\n"))?..];
    let start = after.find("```kql\n")? + "```kql\n".len();
    let body = &after[start..];
    // The block ends at a fence alone on its line (payloads may hold ``` inside a line).
    let end = body.match_indices("\n```").find(|(i, _)| body[i + 4..].starts_with('\n') || i + 4 == body.len())?.0;
    Some(&body[..end + 1])
}

fn codes(text: &str) -> Vec<&'static str> {
    let workspace = from_texts(&[("example.kql", text)], &LoadOptions::default());
    let mut codes: Vec<&str> =
        uplint::check::check(&workspace, &Settings::default()).iter().map(|d| d.code.code).collect();
    codes.dedup();
    codes
}

#[test]
fn every_rule_page_has_the_required_sections() {
    for rule in RULES {
        let meta = rule.meta();
        let doc = meta.doc;
        assert!(doc.starts_with(&format!("# {}: {}\n", meta.code, meta.name)), "{}: title", meta.code);
        assert!(doc.contains(&format!("Severity: **{}**", meta.severity.as_str())), "{}: severity", meta.code);
        for section in ["What it does", "Why it matters", "Example", "Fix", "Spec"] {
            assert!(doc.contains(&format!("\n## {section}\n")), "{}: no `## {section}`", meta.code);
        }
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("rules/{}-{}.md", meta.code, meta.name));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), doc, "{} is not the page {}", meta.code, path.display());
    }
}

#[test]
fn every_example_raises_its_rule_and_every_fix_is_clean() {
    for rule in RULES {
        let meta = rule.meta();
        let example = code_block(meta.doc, "Example").unwrap_or_else(|| panic!("{}: no example", meta.code));
        assert_eq!(codes(example), [meta.code], "{}: the example must raise exactly {}", meta.code, meta.code);
        let fix = code_block(meta.doc, "Fix").unwrap_or_else(|| panic!("{}: no fix", meta.code));
        assert_eq!(codes(fix), Vec::<&str>::new(), "{}: the fix must be clean", meta.code);
    }
}

#[test]
fn codes_and_names_are_unique_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for rule in RULES {
        let meta = rule.meta();
        assert!(meta.code.starts_with("UP") && meta.code.len() == 5, "{}", meta.code);
        assert!(meta.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'), "{}", meta.name);
        assert!(seen.insert(meta.code) && seen.insert(meta.name));
        assert!(uplint::rules::find(meta.code).is_some() && uplint::rules::find(meta.name).is_some());
    }
}
