//! [`Refused`]: the only answers a webhook gives that are not something the
//! gateway can play, each before the call driver runs and changing nothing.
//! There is no internal-error variant: a webhook whose work fails answers
//! with an apology and a hang-up ([`super::apology_actions`]), a status
//! callback with 503 so the gateway retries. Never a 500.

use axum::{
    extract::rejection::BytesRejection,
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::{gateway::GatewayError, metrics};

/// Why a gateway's request was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Refused {
    /// 400: a parameter is missing, repeated or not understood; the
    /// message names it, never its value.
    #[error("{0}")]
    Malformed(String),
    /// 403: the signature is missing or wrong.
    #[error("{message}")]
    Forged { gateway: &'static str, message: &'static str },
    /// 404, as for a URL that does not exist: the gateway is off, or the
    /// secret or the source address is wrong.
    #[error("not found")]
    NotFound,
    /// The body could not be read (too large, cut off): axum's status.
    #[error("{message}")]
    Unreadable { status: StatusCode, message: String },
}

impl From<GatewayError> for Refused {
    fn from(e: GatewayError) -> Self {
        Self::Malformed(e.to_string())
    }
}

impl From<BytesRejection> for Refused {
    fn from(r: BytesRejection) -> Self {
        Self::Unreadable { status: r.status(), message: r.body_text() }
    }
}

impl Refused {
    fn status(&self) -> StatusCode {
        match self {
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::Forged { .. } => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Unreadable { status, .. } => *status,
        }
    }

    /// Counts and logs the refusal (from [`super::error::log_errors`],
    /// inside the request's span).
    pub(super) fn record(&self) {
        match self {
            Self::Malformed(_) | Self::Unreadable { .. } => {
                metrics::webhook("unknown", "malformed");
                tracing::warn!(error.message = %self, "malformed gateway request");
            }
            Self::Forged { gateway, .. } => {
                metrics::webhook(gateway, "rejected");
                tracing::warn!(gateway.provider = *gateway, "rejected a request without a valid signature");
            }
            Self::NotFound => metrics::webhook("unknown", "rejected"),
        }
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut response = (self.status(), self.to_string()).into_response();
        response.extensions_mut().insert(self);
        response
    }
}
