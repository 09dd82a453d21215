//! Retention: the personal fields of cases closed more than N days ago are
//! erased, hourly (`SAMPARK_RETENTION_DAYS`), keeping the anonymous counts.
//! Voice messages kept by Twilio are deleted there too when Sampark has the
//! account's credentials (only genuine Twilio recordings that came in on a
//! Twilio call: see [`TwilioRecordings`]); other gateways' recordings must
//! be deleted in their consoles (the log says how many).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use crate::{
    cases::{CaseStore, Purged, PurgedRecording},
    db::StoreError,
    domain::Secret,
    gateway::Provider,
    media::twilio_recording,
};

/// Deletes Twilio recordings: `DELETE` on the recording resource, with the
/// account's credentials in Basic auth.
///
/// Only for a voice message that came in on a Twilio call (whose requests
/// are signed: with the token set, an unsigned Twilio webhook changes
/// nothing), and only when its URL is, parsed, one of the account's
/// recording resources at the exact scheme, host and port of `api_url`
/// ([`twilio_recording`]). The request goes to the resource rebuilt from
/// `api_url`, the account and the recording's SID, never to the stored URL
/// itself, and follows no redirect.
#[derive(Clone, Debug)]
pub struct TwilioRecordings {
    /// Build it with [`no_redirect_client`].
    pub client: reqwest::Client,
    /// Twilio's API (`https://api.twilio.com`).
    pub api_url: String,
    pub account_sid: String,
    pub auth_token: Secret,
}

/// An HTTP client for requests that carry a gateway's credentials: it
/// follows no redirect and ignores proxy settings.
pub fn no_redirect_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(15))
        .build()
}

impl TwilioRecordings {
    /// The resource to delete for an erased voice message, if it is one of
    /// the account's Twilio recordings that came in through Twilio.
    pub fn resource(&self, recording: &PurgedRecording) -> Option<reqwest::Url> {
        if recording.gateway.as_deref() != Some(Provider::Twilio.as_str()) {
            return None;
        }
        twilio_recording(&self.api_url, &self.account_sid, &recording.url).map(|r| r.resource)
    }

    /// Deletes the ones that are Twilio's; returns how many went.
    pub async fn delete(&self, recordings: &[PurgedRecording]) -> usize {
        let mut deleted = 0;
        for resource in recordings.iter().filter_map(|r| self.resource(r)) {
            let response =
                self.client.delete(resource).basic_auth(&self.account_sid, Some(self.auth_token.expose())).send().await;
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
    cases: &CaseStore,
    now: DateTime<Utc>,
    days: u32,
    twilio: Option<&TwilioRecordings>,
) -> Result<Purged, StoreError> {
    let before = now - chrono::Duration::days(i64::from(days));
    let purged = cases.purge_closed_cases(before, now).await?;
    if purged.cases > 0 {
        let deleted = match twilio {
            Some(twilio) => twilio.delete(&purged.recordings).await,
            None => 0,
        };
        let elsewhere = purged.recordings.len() - deleted;
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
