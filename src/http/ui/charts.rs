//! Plots drawn on the server as SVG: no JavaScript, no image library, and
//! they scale to a phone's width.

use maud::{Markup, html};

/// Colours for outcomes (and anything else keyed by name).
fn colour(name: &str) -> &'static str {
    match name {
        "resolved" => "#1f6f5a",
        "follow_up" => "#3a7bbf",
        "no_answer" => "#c98b1d",
        "wrong_number" => "#8a8a8a",
        "call_back" => "#7a4fa3",
        "cannot_call_back" => "#5b3a29",
        "unreachable" => "#a3361d",
        _ => "#555",
    }
}

/// Horizontal bars, one per labelled value, largest scale = the largest value.
pub fn bars(title: &str, rows: &[(String, i64)]) -> Markup {
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1) as f64;
    let height = 24 * rows.len() + 30;
    html! {
        svg role="img" aria-label=(title) viewBox={ "0 0 360 " (height) } width="360" height=(height) {
            title { (title) }
            text x="4" y="16" font-size="13" font-weight="600" { (title) }
            @for (i, (label, value)) in rows.iter().enumerate() {
                @let y = 26 + i * 24;
                @let width = (*value as f64 / max * 150.0).max(1.0);
                text x="4" y=(y + 14) font-size="11" { (truncate(label, 28)) }
                rect x="180" y=(y + 2) width=(format!("{width:.1}")) height="16" fill="#1f6f5a" {}
                text x=(format!("{:.1}", 184.0 + width)) y=(y + 14) font-size="11" { (value) }
            }
        }
    }
}

/// Stacked columns: for each day, one segment per outcome, with a legend
/// of `keys` three to a row.
pub fn stacked_days(title: &str, days: &[(String, Vec<(String, i64)>)], keys: &[&str]) -> Markup {
    let max = days.iter().map(|(_, parts)| parts.iter().map(|(_, v)| *v).sum::<i64>()).max().unwrap_or(1).max(1) as f64;
    let column = if days.is_empty() { 20.0 } else { (300.0 / days.len() as f64).min(40.0) };
    html! {
        @let legend_rows = keys.len().div_ceil(3);
        @let height = 208 + 15 * legend_rows;
        svg role="img" aria-label=(title) viewBox={ "0 0 360 " (height) } width="360" height=(height) {
            title { (title) }
            text x="4" y="16" font-size="13" font-weight="600" { (title) }
            @for (i, (day, parts)) in days.iter().enumerate() {
                @let x = 40.0 + i as f64 * column;
                @let mut top = 180.0;
                @for (outcome, value) in parts {
                    @let h = *value as f64 / max * 140.0;
                    @let y = { top -= h; top };
                    rect x=(format!("{x:.1}")) y=(format!("{y:.1}")) width=(format!("{:.1}", column * 0.8)) height=(format!("{h:.1}")) fill=(colour(outcome)) {
                        title { (day) " " (outcome) ": " (value) }
                    }
                }
                text x=(format!("{x:.1}")) y="195" font-size="9" { (day.get(5..).unwrap_or(day)) }
            }
            text x="4" y="44" font-size="10" { (max as i64) }
            line x1="36" y1="180" x2="350" y2="180" stroke="#999" {}
            @for (i, key) in keys.iter().enumerate() {
                @let (x, y) = (4 + (i % 3) * 118, 200 + (i / 3) * 15);
                rect x=(x) y=(y) width="10" height="10" fill=(colour(key)) {}
                text x=(x + 13) y=(y + 9) font-size="10" { (key) }
            }
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max { text.to_owned() } else { text.chars().take(max - 1).chain(['…']).collect() }
}
