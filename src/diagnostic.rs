//! Diagnostics: what is wrong, where (a file and a byte range), the evidence, and the fix.
//! Plain data: renderers turn them into text, JSON and the other formats.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::source::FileId;
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A stable diagnostic code and its kebab-case name (`UP901` `syntax-error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code {
    pub code: &'static str,
    pub name: &'static str,
}

/// Text that does not parse (KQL or a management command).
pub const SYNTAX_ERROR: Code = Code { code: "UP901", name: "syntax-error" };
/// A file that could not be read: missing, unreadable, not UTF-8, too large.
pub const UNREADABLE_FILE: Code = Code { code: "UP902", name: "unreadable-file" };

/// A suppression comment that silenced nothing.
pub const UNUSED_SUPPRESSION: Code = Code { code: "UP903", name: "unused-suppression" };
/// A suppression comment that names an unknown code or is malformed.
pub const INVALID_SUPPRESSION: Code = Code { code: "UP904", name: "invalid-suppression" };

/// What a renderer may know about a code: its metadata, never how its diagnostics are found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeInfo {
    pub code: &'static str,
    pub name: &'static str,
    /// The default severity.
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// The documentation page (Markdown), empty when there is none.
    pub doc: &'static str,
    /// A public page that explains the problem (the first of the code's sources).
    pub help_uri: Option<&'static str>,
}

impl CodeInfo {
    /// The text of the page's `## What it does` section, else the summary.
    pub fn description(&self) -> String {
        let Some(start) = self.doc.find("\n## What it does\n") else { return self.summary.to_string() };
        let body = &self.doc[start + "\n## What it does\n".len()..];
        let end = body.find("\n## ").unwrap_or(body.len());
        let text = body[..end].split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() { self.summary.to_string() } else { text }
    }
}

/// A place in a file with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

impl Label {
    pub fn new(file: FileId, span: Span, message: impl Into<String>) -> Label {
        Label { file, span, message: message.into() }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// Where the problem is.
    pub primary: Label,
    /// The evidence, possibly in other files.
    pub labels: Vec<Label>,
    pub notes: Vec<Note>,
    /// How to fix it (for rules: the exact command to run).
    pub help: Option<String>,
    /// The entity the diagnostic is about, when it is one (an update policy entry).
    pub subject: Option<Subject>,
}

/// A note of a diagnostic: most are the same text for every diagnostic of a rule (a fact and
/// its sources, [`crate::rules::RuleMeta::cite`]), held once and shared, not copied into each.
pub type Note = Cow<'static, str>;

/// An entity of the project a diagnostic is about; baselines and SARIF logical locations name
/// it without line numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Subject {
    /// Entry `index` (0-based) of the update policy of `database.table`.
    /// (The names are shared by the diagnostics of a policy's entries.)
    UpdatePolicyEntry { cluster: Option<Arc<str>>, database: Arc<str>, table: Arc<str>, index: usize },
}

/// A diagnostic owned, or shared (`Arc`: a check keeping results hands out the findings it
/// keeps without copying them, and the server compares them by address first).
pub trait Held: AsRef<Diagnostic> + From<Diagnostic> {
    /// The diagnostic to change (a shared one is copied first).
    fn to_mut(&mut self) -> &mut Diagnostic;
}

impl AsRef<Diagnostic> for Diagnostic {
    fn as_ref(&self) -> &Diagnostic {
        self
    }
}

impl Held for Diagnostic {
    fn to_mut(&mut self) -> &mut Diagnostic {
        self
    }
}

impl Held for std::sync::Arc<Diagnostic> {
    fn to_mut(&mut self) -> &mut Diagnostic {
        std::sync::Arc::make_mut(self)
    }
}

impl Diagnostic {
    pub fn new(code: Code, severity: Severity, message: impl Into<String>, primary: Label) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary,
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
            subject: None,
        }
    }

    /// A syntax error (`UP901`) at `span` of `file`.
    pub fn syntax_error(file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(SYNTAX_ERROR, Severity::Error, message, Label::new(file, span, ""))
    }

    pub fn with_label(mut self, label: Label) -> Diagnostic {
        self.labels.push(label);
        self
    }

    pub fn with_note(mut self, note: impl Into<Note>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Gives back the spare room of its texts and lists (a text written with `format!` may have
    /// twice the room it needs): a check can hold many thousands of diagnostics.
    pub fn shrink_to_fit(&mut self) {
        self.message.shrink_to_fit();
        self.primary.message.shrink_to_fit();
        self.labels.shrink_to_fit();
        for label in &mut self.labels {
            label.message.shrink_to_fit();
        }
        self.notes.shrink_to_fit();
        for note in &mut self.notes {
            if let Cow::Owned(note) = note {
                note.shrink_to_fit();
            }
        }
        if let Some(help) = &mut self.help {
            help.shrink_to_fit();
        }
    }
}
