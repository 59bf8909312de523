//! `uplint schema`: the output schema uplint infers for one policy entry or function.

use std::io::Write;

use crate::kql::types::{ScalarType, Value};
use crate::typecheck::Located;
use crate::workspace::Workspace;

/// A table of the columns: position, name, type (`unknown` where it is not known).
pub fn write_human(
    out: &mut dyn Write,
    workspace: &Workspace,
    located: &Located,
    output: Option<&Value>,
) -> std::io::Result<()> {
    let file = workspace.sources.get(located.location.file);
    let line = file.line_index(located.location.span.start as usize) + 1;
    writeln!(out, "{} ({}:{line})", located.what, file.display)?;
    match output {
        Some(Value::Table(table)) => {
            let width = table.columns.iter().map(|c| c.name.chars().count()).max().unwrap_or(0).max("column".len());
            writeln!(out, "{:>4}  {:<width$}  type", "#", "column")?;
            for (i, column) in table.columns.iter().enumerate() {
                writeln!(
                    out,
                    "{:>4}  {:<width$}  {}",
                    i + 1,
                    column.name,
                    column.ty.map_or("unknown", ScalarType::name)
                )?;
            }
            if table.open {
                writeln!(out, "open: more columns may follow, which uplint cannot know")?;
            }
        }
        Some(Value::Scalar(ty)) => writeln!(out, "a scalar of type {}", ty.map_or("unknown", |t| t.name()))?,
        None => writeln!(out, "unknown: the output depends on something the project does not describe")?,
    }
    Ok(())
}
