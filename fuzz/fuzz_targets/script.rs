//! The script parser on any text, and on the text as the JSON payload of the policy commands
//! that take one (update, managed identity, query acceleration, retention), written in each
//! kind of string literal and bare. Every command's payload is parsed as ADX reads it; nothing
//! may panic, and every error must point into the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uplint::script::{self, Item};

fn parse(text: &str) {
    let parsed = script::parse_script(text);
    for error in &parsed.errors {
        let (start, end) = (error.span.start as usize, error.span.end as usize);
        assert!(start <= end && end <= text.len(), "error {start}..{end} outside a text of {}", text.len());
        assert!(text.is_char_boundary(start) && text.is_char_boundary(end), "error {start}..{end} splits a character");
    }
    for item in &parsed.items {
        if let Item::Query(span) = item {
            assert!(span.end as usize <= text.len());
        }
    }
    // The markdown reader keeps every offset.
    let runbook = uplint::markdown::read(text);
    assert_eq!(runbook.text.len(), text.len());
    let _ = script::parse_script_blocks(&runbook.text, &runbook.blocks);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    parse(text);
    let commands = [
        ".alter table T policy update ",
        ".alter-merge database D policy managed_identity ",
        ".alter external table E policy query_acceleration ",
        ".alter table T policy retention ",
    ];
    let literals: [(&str, String, &str); 4] = [
        ("```", text.to_string(), "```"),
        ("@'", text.replace('\'', "''"), "'"),
        ("\"", text.replace('\\', "\\\\").replace('"', "\\\""), "\""),
        ("", text.to_string(), ""),
    ];
    for (i, command) in commands.iter().enumerate() {
        let (open, body, close) = &literals[(i + data.len()) % literals.len()];
        parse(&format!("{command}{open}{body}{close}\n"));
    }
});
