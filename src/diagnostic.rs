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
/// A Markdown code block without a language that starts with a Kusto command: not read.
pub const UNLABELLED_KUSTO_BLOCK: Code = Code { code: "UP905", name: "unlabelled-kusto-block" };

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

/// A text of a diagnostic (its message, a label's, its help): held exactly (no spare room) and
/// shared by the diagnostics that say the same thing (a rule's findings of one job share their
/// equal texts, [`Texts`]): a check can hold tens of thousands of diagnostics.
pub type Text = Arc<str>;

/// A place in a file with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: Text,
}

impl Label {
    pub fn new(file: FileId, span: Span, message: impl Into<Text>) -> Label {
        Label { file, span, message: message.into() }
    }
}

/// A list held without spare room (a boxed slice, two words instead of a vector's three) that
/// can still be added to while a diagnostic is made: the labels and notes of a diagnostic.
#[derive(Clone, PartialEq, Eq)]
pub struct List<T>(Box<[T]>);

impl<T> List<T> {
    pub fn new() -> List<T> {
        List(Box::default())
    }

    pub fn push(&mut self, item: T) {
        self.extend(std::iter::once(item));
    }
}

impl<T> Default for List<T> {
    fn default() -> List<T> {
        List::new()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for List<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl<T> std::ops::Deref for List<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        &self.0
    }
}

impl<T> std::ops::DerefMut for List<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.0
    }
}

impl<T> Extend<T> for List<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, items: I) {
        let mut items = items.into_iter().peekable();
        if items.peek().is_none() {
            return;
        }
        let mut list = std::mem::take(&mut self.0).into_vec();
        list.extend(items);
        self.0 = list.into_boxed_slice();
    }
}

impl<T> From<Vec<T>> for List<T> {
    fn from(list: Vec<T>) -> List<T> {
        List(list.into_boxed_slice())
    }
}

impl<T> FromIterator<T> for List<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> List<T> {
        List(items.into_iter().collect())
    }
}

impl<'a, T> IntoIterator for &'a List<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> std::slice::Iter<'a, T> {
        self.0.iter()
    }
}

impl<T: Serialize> Serialize for List<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// The notes of a diagnostic: most diagnostics of a rule have the same (the rule's cited fact),
/// so the list is shared ([`Texts`] shares equal lists), held without spare room.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Notes(Option<Arc<[Note]>>);

impl Notes {
    pub fn push(&mut self, note: Note) {
        self.extend(std::iter::once(note));
    }
}

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl std::ops::Deref for Notes {
    type Target = [Note];

    fn deref(&self) -> &[Note] {
        self.0.as_deref().unwrap_or_default()
    }
}

impl Extend<Note> for Notes {
    fn extend<I: IntoIterator<Item = Note>>(&mut self, notes: I) {
        let mut notes = notes.into_iter().peekable();
        if notes.peek().is_none() {
            return;
        }
        let mut list = self.to_vec();
        list.extend(notes);
        self.0 = Some(Arc::from(list));
    }
}

impl<'a> IntoIterator for &'a Notes {
    type Item = &'a Note;
    type IntoIter = std::slice::Iter<'a, Note>;

    fn into_iter(self) -> std::slice::Iter<'a, Note> {
        self.iter()
    }
}

/// Equal texts shared: each text given is replaced by the first equal one given before (the
/// findings of one rule's job say the same thing in the same words many times).
#[derive(Default)]
pub struct Texts {
    texts: rustc_hash::FxHashSet<Text>,
    notes: rustc_hash::FxHashSet<Arc<[Note]>>,
}

impl Texts {
    pub fn share(&mut self, text: &mut Text) {
        match self.texts.get(&**text) {
            Some(seen) => *text = seen.clone(),
            None => {
                self.texts.insert(text.clone());
            }
        }
    }

    /// Shares a list of notes equal to one given before.
    pub fn share_notes(&mut self, notes: &mut Notes) {
        let Some(list) = &mut notes.0 else { return };
        match self.notes.get(&**list) {
            Some(seen) => *list = seen.clone(),
            None => {
                self.notes.insert(list.clone());
            }
        }
    }

    /// Shares every text of `diagnostic`: its message, its labels', its notes and its help.
    pub fn share_all(&mut self, diagnostic: &mut Diagnostic) {
        self.share_notes(&mut diagnostic.notes);
        self.share(&mut diagnostic.message);
        self.share(&mut diagnostic.primary.message);
        for label in diagnostic.labels.iter_mut() {
            self.share(&mut label.message);
        }
        if let Some(help) = &mut diagnostic.help {
            self.share(help);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: Text,
    /// Where the problem is.
    pub primary: Label,
    /// The evidence, possibly in other files.
    pub labels: List<Label>,
    pub notes: Notes,
    /// A note about the file the problem is in rather than the problem (the database its
    /// commands run against): the same on every diagnostic of the file. It comes after `notes`
    /// ([`Diagnostic::all_notes`]); the human output shows it once per file.
    pub file_note: Option<Text>,
    /// How to fix it (for rules: the exact command to run).
    pub help: Option<Text>,
    /// The entity the diagnostic is about, when it is one (an update policy entry; shared by
    /// the diagnostics of the entry).
    pub subject: Option<Arc<Subject>>,
    /// An edit of the file that fixes the problem and changes nothing else the file means
    /// (`uplint check --fix` makes it; the language server offers it as a quick fix).
    pub fix: Option<Box<Fix>>,
}

/// A safe fix: an edit of the diagnostic's file (its primary label's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    /// What it does, as a quick fix's title: `Write "IsEnabled" as the boolean true`.
    pub title: String,
    pub edit: Edit,
}

/// An edit of a file's text: replace `span` with `text` (an insertion when `span` is empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
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
    pub fn new(code: Code, severity: Severity, message: impl Into<Text>, primary: Label) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            primary,
            labels: List::new(),
            notes: Notes::default(),
            file_note: None,
            help: None,
            subject: None,
            fix: None,
        }
    }

    /// A syntax error (`UP901`) at `span` of `file`.
    pub fn syntax_error(file: FileId, span: Span, message: impl Into<Text>) -> Diagnostic {
        Diagnostic::new(SYNTAX_ERROR, Severity::Error, message, Label::new(file, span, ""))
    }

    /// `UP905` at the opening fence `fence` of a Markdown code block without a language whose
    /// first line is a Kusto command (`command`: its first word, or the fence).
    pub fn unlabelled_kusto_block(file: FileId, fence: Span, command: Span) -> Diagnostic {
        let message = "this code block has no language, so uplint does not read it, yet it starts with a Kusto command";
        let diagnostic =
            Diagnostic::new(UNLABELLED_KUSTO_BLOCK, Severity::Info, message, Label::new(file, fence, "no language"))
                .with_help("name its language after the fence (`kusto`, `kql` or `csl`) to check it")
                .with_fix("Label this code block `kusto`", Span::empty(fence.end as usize), "kusto");
        if command == fence {
            return diagnostic;
        }
        diagnostic.with_label(Label::new(file, command, "a Kusto command"))
    }

    pub fn with_label(mut self, label: Label) -> Diagnostic {
        self.labels.push(label);
        self
    }

    pub fn with_note(mut self, note: impl Into<Note>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// The notes, then the file's note.
    pub fn all_notes(&self) -> impl Iterator<Item = &str> {
        self.notes.iter().map(|note| &**note).chain(self.file_note.as_deref())
    }

    /// With the safe fix that replaces `span` of the diagnostic's file with `replacement`.
    pub fn with_fix(mut self, title: impl Into<String>, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.fix = Some(Box::new(Fix { title: title.into(), edit: Edit { span, text: replacement.into() } }));
        self
    }

    pub fn with_help(mut self, help: impl Into<Text>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A check can hold tens of thousands of diagnostics (8,000 policy entries with three
    /// findings each): texts are shared pointers, lists boxed slices, the subject shared. (The
    /// file's note takes 16 bytes of its own: shared by a file's findings, it spares each a list
    /// of notes of its own, which it made when it was one of them. The fix, which few have, is
    /// one pointer.)
    #[test]
    fn diagnostics_stay_small() {
        use std::mem::size_of;
        assert!(size_of::<Label>() <= 32, "Label: {} bytes", size_of::<Label>());
        assert!(size_of::<Diagnostic>() <= 168, "Diagnostic: {} bytes", size_of::<Diagnostic>());
    }

    #[test]
    fn lists_grow_without_spare_room() {
        let mut list: List<u32> = List::new();
        assert!(list.is_empty());
        list.push(1);
        list.extend([2, 3]);
        list.extend([]);
        assert_eq!(&*list, &[1, 2, 3]);
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(List::from(vec![4, 5]), [4, 5].into_iter().collect::<List<u32>>());
    }

    #[test]
    fn equal_texts_are_shared() {
        let file = FileId(0);
        let make = |help: &str| {
            Diagnostic::new(
                SYNTAX_ERROR,
                Severity::Error,
                String::from("same"),
                Label::new(file, Span::new(0, 1), "at"),
            )
            .with_label(Label::new(file, Span::new(1, 2), "at"))
            .with_note("a fact")
            .with_help(help)
        };
        let (mut a, mut b) = (make("one"), make("two"));
        assert!(!Arc::ptr_eq(&a.message, &b.message));
        let mut texts = Texts::default();
        texts.share_all(&mut a);
        texts.share_all(&mut b);
        assert!(Arc::ptr_eq(&a.message, &b.message));
        assert!(Arc::ptr_eq(&a.primary.message, &b.labels[0].message));
        assert!(!Arc::ptr_eq(a.help.as_ref().unwrap(), b.help.as_ref().unwrap()));
        assert!(std::ptr::eq(&a.notes[0], &b.notes[0]));
        assert_eq!((a, b), (make("one"), make("two")));
    }
}
