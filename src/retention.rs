//! Retention: the personal fields of cases closed more than N days ago are
//! erased, hourly (`SAMPARK_RETENTION_DAYS`), keeping the anonymous counts.
//! Voice messages kept by Twilio are deleted there too when Sampark has the
//! account's credentials; other gateways' recordings must be deleted in
//! their consoles (the log says how many).

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::{
    config::Secret,
    storage::{Purged, Store, StoreError},
};

/// Deletes Twilio recordings: `DELETE` on the recording's own URL.
#[derive(Clone, Debug)]
pub struct TwilioRecordings {
    pub client: reqwest::Client,
    /// Recordings under this URL are Twilio's (`https://api.twilio.com`).
    pub api_url: String,
    pub account_sid: String,
    pub auth_token: Secret,
}

impl TwilioRecordings {
    /// Deletes the ones that are Twilio's; returns how many went.
    pub async fn delete(&self, urls: &[String]) -> usize {
        let mut deleted = 0;
        for url in urls.iter().filter(|u| u.starts_with(&self.api_url)) {
            let response =
                self.client.delete(url).basic_auth(&self.account_sid, Some(self.auth_token.expose())).send().await;
            match response {
                Ok(r) if r.status().is_success() || r.status() == reqwest::StatusCode::NOT_FOUND => deleted += 1,
                Ok(r) => warn!(http.status = r.status().as_u16(), "Twilio would not delete a recording"),
                Err(e) => warn!(error.message = %e.without_url(), "could not reach Twilio to delete a recording"),
            }
        }
        deleted
    }
}

/// One retention run: erase cases closed more than `days` ago.
pub async fn run_once(
    store: &Arc<dyn Store>,
    now: DateTime<Utc>,
    days: u32,
    twilio: Option<&TwilioRecordings>,
) -> Result<Purged, StoreError> {
    let before = now - chrono::Duration::days(i64::from(days));
    let purged = store.purge_closed_cases(before, now).await?;
    if purged.cases > 0 {
        let deleted = match twilio {
            Some(twilio) => twilio.delete(&purged.recording_urls).await,
            None => 0,
        };
        let elsewhere = purged.recording_urls.len() - deleted;
        info!(
            cases = purged.cases,
            recordings_deleted = deleted,
            recordings_elsewhere = elsewhere,
            "retention: erased closed cases"
        );
        if elsewhere > 0 {
            warn!(
                recordings = elsewhere,
                "retention: voice messages kept by other gateways must be deleted in their consoles"
            );
        }
    }
    Ok(purged)
}

/// How often retention runs in `serve`.
pub const PERIOD: Duration = Duration::from_secs(60 * 60);
