//! `sampark cases export`: one row per case, as JSON lines or CSV.

use std::io::Write;

use futures::{Stream, StreamExt};

use super::{CaseRecord, format_time};
use crate::db::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Csv,
}

const COLUMNS: [&str; 15] = [
    "id",
    "phone",
    "language",
    "consent",
    "home_state_code",
    "home_district_code",
    "need",
    "recording_url",
    "pin_code",
    "place_recording_url",
    "status",
    "calls",
    "first_call_at",
    "last_call_at",
    "callback_phone",
];

/// Writes every case to `out`, streaming (the table may hold millions).
/// Returns the number of cases written.
pub async fn write_export<W: Write>(
    mut cases: impl Stream<Item = Result<CaseRecord, StoreError>> + Unpin,
    format: ExportFormat,
    out: W,
) -> anyhow::Result<u64> {
    let mut count = 0;
    match format {
        ExportFormat::Jsonl => {
            let mut out = out;
            while let Some(case) = cases.next().await {
                serde_json::to_writer(&mut out, &case?)?;
                out.write_all(b"\n")?;
                count += 1;
            }
            out.flush()?;
        }
        ExportFormat::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(COLUMNS)?;
            while let Some(case) = cases.next().await {
                writer.write_record(csv_row(&case?))?;
                count += 1;
            }
            writer.flush()?;
        }
    }
    Ok(count)
}

fn csv_row(case: &CaseRecord) -> [String; 15] {
    fn opt<T: ToString>(value: Option<T>) -> String {
        value.map(|v| v.to_string()).unwrap_or_default()
    }
    [
        case.id.to_string(),
        opt(case.phone.as_deref()),
        opt(case.language.as_deref()),
        opt(case.consent),
        opt(case.home_state_code),
        opt(case.home_district_code),
        opt(case.need.as_deref()),
        opt(case.recording_url.as_deref()),
        opt(case.pin_code.as_deref()),
        opt(case.place_recording_url.as_deref()),
        case.status.clone(),
        case.calls.to_string(),
        format_time(&case.first_call_at),
        format_time(&case.last_call_at),
        opt(case.callback_phone.as_deref()),
    ]
}
