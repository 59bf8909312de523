//! Suppression comments (`// uplint: allow(...)`, `// uplint: allow-file(...)`), `UP903` and
//! `UP904`, and the examples of their pages.

use uplint::diagnostic::Diagnostic;
use uplint::rules::{Settings, catalog};
use uplint::suppress::{self, Options};
use uplint::workspace::{LoadOptions, from_texts};

const FUNCTION: &str = ".create-or-alter function EnrichOrders() {
    RawOrders
    | lookup (database('Reference').Countries) on Country
}
";

/// What the examples read, defined before them; line numbers are given without these lines.
const TABLES: &str = "#connect database('Reference')
.create table Countries (Country: string)

#connect database('Sales')
.create table RawOrders (Country: string)
.create table Orders (Country: string)
.create table Orders2 (Country: string)
";

fn run(text: &str, options: Options) -> Vec<(String, usize)> {
    let text = format!("{TABLES}{text}");
    let offset = TABLES.lines().count();
    let workspace = from_texts(&[("a.kql", &text)], &LoadOptions::default());
    let diagnostics = uplint::check::check(&workspace, &Settings::default());
    let kept: Vec<Diagnostic> = suppress::apply(&workspace, diagnostics, &catalog(), options);
    let file = workspace.sources.get(uplint::source::FileId(0));
    // Only the codes these tests are about: other rules may have their say on the examples.
    kept.iter()
        .filter(|d| ["UP001", "UP903", "UP904"].contains(&d.code.code))
        .map(|d| (d.code.code.to_string(), file.position(d.primary.span.start as usize).line - offset))
        .collect()
}

fn codes(text: &str) -> Vec<String> {
    run(text, Options::default()).into_iter().map(|(c, _)| c).collect()
}

#[test]
fn without_a_comment_the_rule_fires() {
    let text = format!(
        "{FUNCTION}\n.alter table Orders policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n"
    );
    assert_eq!(codes(&text), ["UP001"]);
}

#[test]
fn allow_before_a_command_silences_it_by_code_or_name() {
    for written in ["UP001", "cross-database-without-identity", "up001", "UP004, UP001"] {
        let text = format!(
            "{FUNCTION}\n// uplint: allow({written}) the policy is replaced at deploy time\n.alter table Orders policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n"
        );
        let got = codes(&text);
        if written.contains("UP004") {
            assert_eq!(got, ["UP903"], "{written}: UP004 silenced nothing");
        } else {
            assert_eq!(got, Vec::<String>::new(), "{written}");
        }
    }
}

#[test]
fn allow_covers_only_the_next_command() {
    let text = format!(
        "{FUNCTION}\n// uplint: allow(UP001) known\n.alter table Orders policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n\n.alter table Orders2 policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n"
    );
    assert_eq!(run(&text, Options::default()), [("UP001".to_string(), 11)]);
}

#[test]
fn allow_before_an_entry_of_a_multi_line_payload_covers_that_entry() {
    let text = format!(
        "{FUNCTION}\n.alter table Orders policy update ```[\n    // uplint: allow(UP001) this entry is switched on with an identity later\n    {{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}},\n    {{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders() | take 1\"}}\n]```\n"
    );
    assert_eq!(run(&text, Options::default()), [("UP001".to_string(), 9)], "the second entry is still reported");
}

#[test]
fn allow_file_covers_the_whole_file() {
    let text = format!(
        "// uplint: allow-file(UP001) legacy policies, tracked in the backlog\n{FUNCTION}\n.alter table Orders policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n\n.alter table Orders2 policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n"
    );
    assert_eq!(codes(&text), Vec::<String>::new());
}

#[test]
fn unused_unknown_and_malformed_suppressions_are_reported() {
    let text = "// uplint: allow(UP004) nothing to silence\n.create table T (a: string)\n\n// uplint: allow(UP999) typo\n.create table U (a: string)\n\n// uplint: allow UP001\n.create table V (a: string)\n\n// uplint: allow(UP001) nothing follows\n";
    assert_eq!(
        run(text, Options::default()),
        [("UP903".to_string(), 1), ("UP904".to_string(), 4), ("UP904".to_string(), 7), ("UP903".to_string(), 10)]
    );
}

#[test]
fn a_reason_can_be_required() {
    let text = format!(
        "{FUNCTION}\n// uplint: allow(UP001)\n.alter table Orders policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n"
    );
    assert_eq!(codes(&text), Vec::<String>::new());
    let required = run(&text, Options { require_reason: true });
    assert_eq!(required, [("UP904".to_string(), 6), ("UP001".to_string(), 8)], "an invalid comment silences nothing");
}

#[test]
fn other_comments_do_nothing() {
    let text = format!(
        "{FUNCTION}\n// see the uplint: allow(UP001) docs\n.alter table Orders policy update\n@'[{{\"Source\": \"RawOrders\", \"Query\": \"EnrichOrders()\"}}]'\n"
    );
    assert_eq!(codes(&text), ["UP001"]);
}

/// The first ```kql block after `## <section>`.
fn block<'a>(doc: &'a str, section: &str) -> &'a str {
    let after = &doc[doc.find(&format!("\n## {section}\n")).unwrap()..];
    let start = after.find("```kql\n").unwrap() + "```kql\n".len();
    let end = after[start..].find("\n```\n").unwrap();
    &after[start..start + end + 1]
}

#[test]
fn the_pages_of_up903_and_up904_run() {
    for code in ["UP903", "UP904"] {
        let info = catalog().into_iter().find(|c| c.code == code).unwrap();
        assert!(info.doc.starts_with(&format!("# {}: {}\n", info.code, info.name)));
        assert_eq!(codes(block(info.doc, "Example")), [code], "{code}: example");
        assert_eq!(codes(block(info.doc, "Fix")), Vec::<String>::new(), "{code}: fix");
    }
}
