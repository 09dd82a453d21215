//! Lists of stranded workers that state governments send as spreadsheets,
//! read into rows Sampark can keep: the pure front half of
//! `sampark import` (no database here).
//!
//! [`ListReader`] opens a file (XLSX, XLS, or CSV/TSV text in the
//! encodings spreadsheets export) and streams its rows; [`Mapping`] says
//! which column holds what, detected from English and Hindi headers and
//! corrected by a coordinator; [`parse_row`] (or, for a whole list,
//! [`RowParser`]) reads one row into a
//! [`ListRow`] (phone numbers cleaned, places matched to LGD codes with a
//! confidence) or a [`Rejected`] with the row and the reason.

mod columns;
mod lines;
mod phone;
mod read;
mod rows;
mod words;

pub use columns::{Column, Field, Mapping, MappingError};
pub use lines::{ListFile, line_of};
pub use read::{Format, ListReader, ReadError, Record, TextEncoding};
pub use rows::{Checked, ListRow, Placed, RejectReason, Rejected, RowParser, parse_row};

#[cfg(test)]
mod tests;
