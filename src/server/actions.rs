//! Code actions: set a policy entry's `ManagedIdentity` in the file, written in the literal's
//! own form and escaping; rename a misspelled policy property (UP202) in place; make a
//! diagnostic's safe fix ([`crate::diagnostic::Fix`]: UP211's boolean, UP905's label); and show a
//! diagnostic's fix command (to run on the cluster) so it can be copied.

use lsp_types as lsp;

use super::navigate::{self, Target};
use super::{COPY_FIX_COMMAND, Server, convert};
use crate::diagnostic::Edit;
use crate::model::UpdatePolicyEntry;
use crate::rules::{Identity, PolicyView, intended_property, written_policy_members};
use crate::script::payload::JsonKind;
use crate::span::Span;

/// How the entry's literal writes a JSON `"`: `"`, `\"` (a `"..."` string), `""` (`@"..."`),
/// read from a member key as written in the file.
fn quote_of(text: &str, entry: &UpdatePolicyEntry) -> Option<String> {
    let JsonKind::Object(members) = &entry.json.kind else { return None };
    members.iter().find_map(|member| {
        let written = text.get(member.key_span.range())?;
        let first = member.key.chars().next()?;
        let start = written.find(first)?;
        let quote = &written[..start];
        let plain = !member.key.contains(['"', '\\']) && written.len() == member.key.len() + 2 * quote.len();
        (plain && !quote.is_empty() && written.ends_with(quote)).then(|| quote.to_string())
    })
}

/// The edit that makes `identity` the entry's `ManagedIdentity`: its value replaced when the
/// entry has one, else a member added after the last, in the form the literal uses.
pub fn set_identity(text: &str, entry: &UpdatePolicyEntry, identity: &str) -> Option<Edit> {
    let quote = quote_of(text, entry)?;
    let value = format!("{quote}{identity}{quote}");
    if let Some(member) = entry.json.member("ManagedIdentity") {
        return Some(Edit { span: member.value.span, text: value });
    }
    let JsonKind::Object(members) = &entry.json.kind else { return None };
    let last = members.iter().map(|m| m.value.span.end).max()?;
    Some(Edit { span: Span::empty(last as usize), text: format!(", {quote}ManagedIdentity{quote}: {value}") })
}

/// The edit that renames the JSON key `key`, written at `key_span` of `text`, to `name`: only
/// the name's characters change, so its quotes and their escaping (`"`, `\"`, `""`, `'`, none)
/// stay as written. `None` when the key is not written plainly there.
pub fn rename_key(text: &str, key_span: Span, key: &str, name: &str) -> Option<Edit> {
    let written = text.get(key_span.range())?;
    let at = written.find(key)?;
    let quotes = |s: &str| s.chars().all(|c| matches!(c, '"' | '\'' | '\\'));
    let (before, after) = (&written[..at], &written[at + key.len()..]);
    if key.is_empty() || !quotes(before) || before != after {
        return None;
    }
    let start = key_span.start as usize + at;
    Some(Edit { span: Span::new(start, start + key.len()), text: name.to_string() })
}

/// A quick fix that makes `edit` in the file of `uri`.
fn quick_fix(
    title: String,
    uri: &lsp::Uri,
    source: &crate::source::SourceFile,
    edit: Edit,
    diagnostic: lsp::Diagnostic,
    encoding: convert::Encoding,
) -> lsp::CodeActionOrCommand {
    let text_edit = lsp::TextEdit { range: convert::range(source, edit.span, encoding), new_text: edit.text };
    // `Uri` caches its parsed parts, which clippy takes for interior mutability; its hash and
    // equality use the text alone.
    #[allow(clippy::mutable_key_type)]
    let changes = [(uri.clone(), vec![text_edit])].into_iter().collect();
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic]),
        edit: Some(lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }),
        is_preferred: Some(true),
        ..Default::default()
    })
}

impl Server {
    pub(super) fn code_actions(&mut self, params: lsp::CodeActionParams) -> Option<lsp::CodeActionResponse> {
        let path = convert::path(&params.text_document.uri)?;
        let index = self.project_of(&path)?;
        let file = *self.projects[index].ids.get(&path)?;
        let text = &self.projects[index].workspace.sources.get(file).text;
        let start = convert::offset(text, params.range.start, self.encoding);
        let end = convert::offset(text, params.range.end, self.encoding);
        // Editors ask at every move of the cursor: nothing is resolved unless a diagnostic is there.
        let diagnostics: Vec<_> = self.projects[index]
            .diagnostics
            .iter()
            .filter(|d| {
                let span = d.primary.span;
                d.primary.file == file && (span.end as usize) >= start && (span.start as usize) <= end
            })
            .cloned()
            .collect();
        if diagnostics.is_empty() {
            return Some(Vec::new());
        }
        let (workspace, resolution, _) = self.projects[index].resolved();
        let source = workspace.sources.get(file);
        let mut actions = Vec::new();
        let mut edited = Vec::new();
        for diagnostic in &diagnostics {
            let span = diagnostic.primary.span;
            let page = self.pages.get(diagnostic.code.code).cloned();
            let lsp_diagnostic = convert::diagnostic(&workspace.sources, diagnostic, page, self.encoding);
            // The policy entry the diagnostic is about, when its identity is missing or invalid.
            let view = match navigate::policy_entry_at(workspace, file, span) {
                Some(Target::PolicyEntry { cluster, database, table, entry }) => {
                    Some(PolicyView::new(cluster, database, table, entry, resolution))
                }
                _ => None,
            };
            if let Some(view) = view.filter(|v| matches!(v.identity, Identity::Absent | Identity::Invalid { .. })) {
                let identity = view.suggested_identity();
                if !edited.contains(&view.entry.location) {
                    if let Some(edit) = set_identity(&source.text, view.entry, &identity) {
                        edited.push(view.entry.location);
                        let title = format!("Set \"ManagedIdentity\": \"{identity}\" on this update policy entry");
                        let uri = &params.text_document.uri;
                        actions.push(quick_fix(title, uri, source, edit, lsp_diagnostic.clone(), self.encoding));
                    }
                }
            }
            // A misspelled property (UP202): rename its key to the property meant.
            if diagnostic.code.code == "UP202" {
                let member = written_policy_members(&workspace.model)
                    .find(|(_, entry, member)| entry.location.file == file && member.key_span == span)
                    .map(|(_, _, member)| member);
                let renamed = member.and_then(|m| {
                    let name = intended_property(&m.key)?;
                    Some((name, rename_key(&source.text, span, &m.key, name)?, &m.key))
                });
                if let Some((name, edit, key)) = renamed {
                    let title = format!("Rename \"{key}\" to \"{name}\"");
                    let uri = &params.text_document.uri;
                    actions.push(quick_fix(title, uri, source, edit, lsp_diagnostic.clone(), self.encoding));
                }
            }
            // The diagnostic's own safe fix (UP211's boolean, UP905's label), as `check --fix`
            // makes it.
            if let Some(fix) = &diagnostic.fix {
                let uri = &params.text_document.uri;
                let edit = fix.edit.clone();
                actions.push(quick_fix(fix.title.clone(), uri, source, edit, lsp_diagnostic.clone(), self.encoding));
            }
            if let Some(help) = diagnostic.help.as_ref().filter(|h| h.starts_with('.')) {
                actions.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: format!("Copy the command that fixes {} on the cluster", diagnostic.code.code),
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![lsp_diagnostic]),
                    command: Some(lsp::Command {
                        title: "Copy fix command".to_string(),
                        command: COPY_FIX_COMMAND.to_string(),
                        arguments: Some(vec![serde_json::Value::String(help.to_string())]),
                    }),
                    ..Default::default()
                }));
            }
        }
        Some(actions)
    }

    /// `uplint.copyFixCommand`: shows the command (a message, and a document to copy it from
    /// when the client can open one); the result is the command, for clients that copy it.
    pub(super) fn execute_command(&mut self, params: lsp::ExecuteCommandParams) -> Option<serde_json::Value> {
        if params.command != COPY_FIX_COMMAND {
            return None;
        }
        let command = params.arguments.first()?.as_str()?.to_string();
        self.notify::<lsp::notification::ShowMessage>(lsp::ShowMessageParams {
            typ: lsp::MessageType::INFO,
            message: format!("Run on the cluster: {command}"),
        });
        if self.client.show_document {
            let path = std::env::temp_dir().join(format!("uplint-fix-{}.kql", std::process::id()));
            if std::fs::write(&path, format!("{command}\n")).is_ok() {
                self.send_request::<lsp::request::ShowDocument>(lsp::ShowDocumentParams {
                    uri: convert::uri(&path),
                    external: None,
                    take_focus: Some(true),
                    selection: None,
                });
            }
        }
        Some(serde_json::Value::String(command))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{LoadOptions, from_texts};

    /// Applies the identity edit to the first policy entry of `script` and returns the new text.
    fn with_identity(script: &str) -> String {
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let database = workspace.model.database(None, "default").unwrap();
        let entry = &database.tables["T"].update_policy.entries[0];
        let edit = set_identity(script, entry, "system").unwrap();
        let text = crate::fix::apply(script, &[&edit]).unwrap();
        // The result still parses, and the entry now has the identity.
        let again = from_texts(&[("a.kql", &text)], &LoadOptions::default());
        let entry = &again.model.database(None, "default").unwrap().tables["T"].update_policy.entries[0];
        assert_eq!(entry.json.member("ManagedIdentity").and_then(|m| m.value.as_str()), Some("system"), "{text}");
        assert!(again.diagnostics.is_empty(), "{text}");
        text
    }

    #[test]
    fn identity_is_added_in_every_literal_form() {
        assert_eq!(
            with_identity(".alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S\"}]'"),
            ".alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S\", \"ManagedIdentity\": \"system\"}]'"
        );
        assert_eq!(
            with_identity(".alter table T policy update \"[{\\\"Source\\\":\\\"S\\\",\\\"Query\\\":\\\"S\\\"}]\""),
            ".alter table T policy update \"[{\\\"Source\\\":\\\"S\\\",\\\"Query\\\":\\\"S\\\", \\\"ManagedIdentity\\\": \\\"system\\\"}]\""
        );
        assert_eq!(
            with_identity(".alter table T policy update @\"[{\"\"Source\"\": \"\"S\"\", \"\"Query\"\": \"\"S\"\"}]\""),
            ".alter table T policy update @\"[{\"\"Source\"\": \"\"S\"\", \"\"Query\"\": \"\"S\"\", \"\"ManagedIdentity\"\": \"\"system\"\"}]\""
        );
        assert_eq!(
            with_identity(
                ".alter table T policy update ```[\n  {\n    \"Source\": \"S\",\n    \"Query\": \"S\"\n  }\n]```"
            ),
            ".alter table T policy update ```[\n  {\n    \"Source\": \"S\",\n    \"Query\": \"S\", \"ManagedIdentity\": \"system\"\n  }\n]```"
        );
    }

    /// Renames the first misspelled property UP202 reports in `script` and returns the new text.
    fn renamed(script: &str) -> String {
        let workspace = from_texts(&[("a.kql", script)], &LoadOptions::default());
        let found = crate::check::check(&workspace, &Default::default());
        let diagnostic = found.iter().find(|d| d.code.code == "UP202").expect("a misspelled property");
        let span = diagnostic.primary.span;
        let (_, _, member) =
            written_policy_members(&workspace.model).find(|(_, _, m)| m.key_span == span).expect("its member");
        let name = intended_property(&member.key).unwrap();
        let edit = rename_key(script, span, &member.key, name).unwrap();
        let text = crate::fix::apply(script, &[&edit]).unwrap();
        let again = from_texts(&[("a.kql", &text)], &LoadOptions::default());
        let found = crate::check::check(&again, &Default::default());
        assert!(!found.iter().any(|d| d.code.code == "UP202" || d.code.code == "UP901"), "{text}: {found:?}");
        text
    }

    #[test]
    fn a_misspelled_property_is_renamed_in_its_own_quoting() {
        assert_eq!(
            renamed(".alter table T policy update @'[{\"Sourc\": \"S\", \"Query\": \"S\"}]'"),
            ".alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S\"}]'"
        );
        assert_eq!(
            renamed(".alter table T policy update \"[{\\\"Source\\\":\\\"S\\\",\\\"Querry\\\":\\\"S\\\"}]\""),
            ".alter table T policy update \"[{\\\"Source\\\":\\\"S\\\",\\\"Query\\\":\\\"S\\\"}]\""
        );
        assert_eq!(
            renamed(
                ".alter table T policy update @\"[{\"\"Source\"\": \"\"S\"\", \"\"Query\"\": \"\"S\"\", \"\"IsTransactinal\"\": true}]\""
            ),
            ".alter table T policy update @\"[{\"\"Source\"\": \"\"S\"\", \"\"Query\"\": \"\"S\"\", \"\"IsTransactional\"\": true}]\""
        );
        assert_eq!(
            renamed(
                ".alter table T policy update ```[{'Source': 'S', 'Query': 'S', isenabled: true, ManagedIdentiy: 'system'}]```"
            ),
            ".alter table T policy update ```[{'Source': 'S', 'Query': 'S', isenabled: true, ManagedIdentity: 'system'}]```"
        );
        // A key not written plainly (an escape inside the name) is left to the user.
        assert_eq!(rename_key("'Sour\\u0063'", Span::new(0, 13), "Sourc", "Source"), None);
    }

    #[test]
    fn an_invalid_identity_is_replaced() {
        assert_eq!(
            with_identity(
                ".alter table T policy update @'[{\"Source\": \"S\", \"ManagedIdentity\": \"ingest\", \"Query\": \"S\"}]'"
            ),
            ".alter table T policy update @'[{\"Source\": \"S\", \"ManagedIdentity\": \"system\", \"Query\": \"S\"}]'"
        );
    }

    /// Makes the fix of the first `code` diagnostic of `path` holding `text`, and returns the new
    /// text, which must raise neither that code nor UP901.
    fn fixed(code: &str, path: &str, text: &str) -> String {
        let workspace = from_texts(&[(path, text)], &LoadOptions::default());
        let found = crate::check::check(&workspace, &Default::default());
        let diagnostic = found.iter().find(|d| d.code.code == code).unwrap_or_else(|| panic!("{code}: {found:?}"));
        let fix = diagnostic.fix.as_ref().expect("a fix");
        let fixed = crate::fix::apply(text, &[&fix.edit]).unwrap();
        let again = from_texts(&[(path, &fixed)], &LoadOptions::default());
        let found = crate::check::check(&again, &Default::default());
        assert!(!found.iter().any(|d| d.code.code == code || d.code.code == "UP901"), "{fixed}: {found:?}");
        fixed
    }

    #[test]
    fn a_string_boolean_is_written_as_the_boolean_in_every_literal_form() {
        let unquoted = |script: &str| fixed("UP211", "a.kql", script);
        assert_eq!(
            unquoted(
                ".alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S\", \"IsEnabled\": \"True\"}]'"
            ),
            ".alter table T policy update @'[{\"Source\": \"S\", \"Query\": \"S\", \"IsEnabled\": true}]'"
        );
        assert_eq!(
            unquoted(
                ".alter table T policy update \"[{\\\"Source\\\":\\\"S\\\",\\\"Query\\\":\\\"S\\\",\\\"IsTransactional\\\":\\\"false\\\"}]\""
            ),
            ".alter table T policy update \"[{\\\"Source\\\":\\\"S\\\",\\\"Query\\\":\\\"S\\\",\\\"IsTransactional\\\":false}]\""
        );
        assert_eq!(
            unquoted(
                ".alter table T policy update @\"[{\"\"Source\"\": \"\"S\"\", \"\"Query\"\": \"\"S\"\", \"\"IsEnabled\"\": \"\"TRUE\"\"}]\""
            ),
            ".alter table T policy update @\"[{\"\"Source\"\": \"\"S\"\", \"\"Query\"\": \"\"S\"\", \"\"IsEnabled\"\": true}]\""
        );
        assert_eq!(
            unquoted(".alter table T policy update ```[{'Source': 'S', 'Query': 'S', 'IsEnabled': 'true'}]```"),
            ".alter table T policy update ```[{'Source': 'S', 'Query': 'S', 'IsEnabled': true}]```"
        );
        // An escape inside the string: the whole string, escape included, is replaced.
        assert_eq!(
            unquoted(".alter table T policy update ```[{'Source': 'S', 'Query': 'S', 'IsEnabled': 'Tru\\u0065'}]```"),
            ".alter table T policy update ```[{'Source': 'S', 'Query': 'S', 'IsEnabled': true}]```"
        );
    }

    #[test]
    fn a_code_block_that_holds_kusto_is_labelled() {
        let runbook = "# Runbook\n\n```\n.create table T (a:int)\n```\n";
        let labelled = fixed("UP905", "runbook.md", runbook);
        assert_eq!(labelled, "# Runbook\n\n```kusto\n.create table T (a:int)\n```\n");
        let again = from_texts(&[("runbook.md", &labelled)], &LoadOptions::default());
        assert!(crate::check::check(&again, &Default::default()).is_empty());
        let read = again.model.database(None, "default").is_some_and(|d| d.tables.contains_key("T"));
        assert!(read, "the block is read now");
    }
}
