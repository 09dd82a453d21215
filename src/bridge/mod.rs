//! "Call now": the gateway rings the volunteer's phone first, then bridges
//! the call to the caller, showing the helpline's number on both sides, so
//! neither sees the other's number.
//!
//! - Twilio, Calls API (<https://www.twilio.com/docs/voice/api/call-resource>):
//!   `POST {api}/2010-04-01/Accounts/{sid}/Calls.json` with the volunteer as
//!   `To`, the helpline number as `From`, and a `Url` on Sampark whose TwiML
//!   dials the caller (`/twilio/bridge?attempt=N`, signed by Twilio).
//! - Exotel, `Calls/connect` (gateways.md §2.5): `POST
//!   {api}/v1/Accounts/{sid}/Calls/connect.json`, `From` the volunteer
//!   (dialled first), `To` the caller, `CallerId` the ExoPhone.
//!
//! Both report the call's status to Sampark, which updates the attempt.

use serde::Deserialize;

use crate::domain::Secret;

/// How Sampark places volunteer calls, from settings.
#[derive(Debug, Clone)]
pub enum Bridge {
    Twilio {
        api_url: String,
        account_sid: String,
        auth_token: Secret,
        caller_id: String,
    },
    Exotel {
        api_url: String,
        account_sid: String,
        api_key: String,
        api_token: Secret,
        caller_id: String,
        path_secret: Secret,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("the gateway could not be reached: {0}")]
    Unreachable(String),
    #[error("the gateway refused the call (HTTP {status})")]
    Refused { status: u16 },
    #[error("the gateway's answer had no call id")]
    NoCallId,
}

/// The numbers and where the gateway reports back.
#[derive(Debug, Clone)]
pub struct BridgeRequest<'a> {
    pub volunteer: &'a str,
    pub caller: &'a str,
    pub attempt: i64,
    pub public_url: &'a str,
}

#[derive(Deserialize)]
struct TwilioCall {
    sid: String,
}

#[derive(Deserialize)]
struct ExotelResponse {
    #[serde(rename = "Call")]
    call: ExotelCall,
}

#[derive(Deserialize)]
struct ExotelCall {
    #[serde(rename = "Sid")]
    sid: String,
}

impl Bridge {
    /// The name stored with attempts (`twilio`, `exotel`).
    pub fn gateway(&self) -> &'static str {
        match self {
            Self::Twilio { .. } => "twilio",
            Self::Exotel { .. } => "exotel",
        }
    }

    /// The helpline number shown to both sides.
    pub fn caller_id(&self) -> &str {
        match self {
            Self::Twilio { caller_id, .. } | Self::Exotel { caller_id, .. } => caller_id,
        }
    }

    /// Asks the gateway to ring the volunteer and bridge to the caller;
    /// returns the gateway's call id.
    pub async fn call(&self, client: &reqwest::Client, request: &BridgeRequest<'_>) -> Result<String, BridgeError> {
        let base = request.public_url.trim_end_matches('/');
        let attempt = request.attempt;
        let response = match self {
            Self::Twilio { api_url, account_sid, auth_token, caller_id } => {
                let url = format!("{}/2010-04-01/Accounts/{account_sid}/Calls.json", api_url.trim_end_matches('/'));
                let form = [
                    ("To", request.volunteer.to_owned()),
                    ("From", caller_id.clone()),
                    ("Url", format!("{base}/twilio/bridge?attempt={attempt}")),
                    ("StatusCallback", format!("{base}/twilio/bridge-status?attempt={attempt}")),
                    ("StatusCallbackEvent", "initiated".to_owned()),
                    ("StatusCallbackEvent", "answered".to_owned()),
                    ("StatusCallbackEvent", "completed".to_owned()),
                    ("Timeout", "30".to_owned()),
                ];
                client.post(url).basic_auth(account_sid, Some(auth_token.expose())).form(&form).send().await
            }
            Self::Exotel { api_url, account_sid, api_key, api_token, caller_id, path_secret } => {
                let url = format!("{}/v1/Accounts/{account_sid}/Calls/connect.json", api_url.trim_end_matches('/'));
                let form = [
                    ("From", request.volunteer.to_owned()),
                    ("To", request.caller.to_owned()),
                    ("CallerId", caller_id.clone()),
                    ("CallType", "trans".to_owned()),
                    ("TimeOut", "30".to_owned()),
                    (
                        "StatusCallback",
                        format!("{base}/exotel/{}/bridge-status?attempt={attempt}", path_secret.expose()),
                    ),
                    ("StatusCallbackEvents[0]", "terminal".to_owned()),
                    ("StatusCallbackEvents[1]", "answered".to_owned()),
                ];
                client.post(url).basic_auth(api_key, Some(api_token.expose())).form(&form).send().await
            }
        };
        let response = response.map_err(|e| BridgeError::Unreachable(e.without_url().to_string()))?;
        if !response.status().is_success() {
            return Err(BridgeError::Refused { status: response.status().as_u16() });
        }
        let sid = match self {
            Self::Twilio { .. } => response.json::<TwilioCall>().await.map(|c| c.sid),
            Self::Exotel { .. } => response.json::<ExotelResponse>().await.map(|r| r.call.sid),
        };
        sid.map_err(|_| BridgeError::NoCallId)
    }
}
