//! "Call now": the gateway rings the volunteer, then the caller.

use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Redirect, Response},
    routing::post,
};
use tracing::warn;

use crate::{
    bridge::BridgeRequest,
    http::{
        AppState,
        access::{Caseworker, CsrfForm},
        error::AppError,
    },
    queue::{ClaimCheck, Scope},
};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/cases/{id}/call", post(call_now))
}

fn back_with_error(id: i64, message: &str) -> Response {
    let query = serde_urlencoded::to_string([("error", message)]).unwrap_or_default();
    Redirect::to(&format!("/cases/{id}?{query}")).into_response()
}

/// Which number "Call now" dials: the callback number the caller keyed
/// if there is one, unless `own` asks for the caller's own.
#[derive(Deserialize, Default)]
struct Dial {
    #[serde(default)]
    own: Option<String>,
}

/// Asks the gateway to ring the volunteer and bridge to the caller (on
/// the callback number first); the attempt records the gateway's call id.
async fn call_now(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Caseworker(who), dial): CsrfForm<Caseworker, Dial>,
) -> Result<Response, AppError> {
    let Some(bridge) = &app.bridge else {
        return Ok(back_with_error(id, "No gateway is set up for Call now: dial the number."));
    };
    let Some(volunteer) = who.user.phone.clone() else {
        return Ok(back_with_error(id, "आपका फ़ोन नंबर दर्ज नहीं है · Your phone number is not set: ask an admin."));
    };
    let scope = Scope::of(&who.user);
    let queue = app.desk.queue();
    let case = queue.case_view(&scope, id).await?.ok_or_else(no_such_case)?;
    let own_number = dial.own.is_some() && case.phone.is_some();
    let number = if own_number { case.phone.clone() } else { case.callback_phone.clone().or(case.phone.clone()) };
    let Some(caller) = number else {
        return Ok(back_with_error(id, "नंबर नहीं · The caller's number was withheld: there is nothing to call."));
    };
    let attempt = match queue.open_call_attempt(&scope, id, bridge.gateway(), own_number, app.desk.now()).await? {
        Ok(attempt) => attempt,
        Err(ClaimCheck::NotHeld) => return Ok(Redirect::to("/?m=expired").into_response()),
        Err(_) => return Err(no_such_case()),
    };
    let request = BridgeRequest { volunteer: &volunteer, caller: &caller, attempt, public_url: &app.public_url };
    match bridge.call(&app.client, &request).await {
        Ok(call_id) => {
            queue.set_attempt_call_id(attempt, &call_id).await?;
            let details = format!("{} call {call_id}", bridge.gateway());
            app.desk.audit(&who.user, "call_now", Some(id), Some(details)).await?;
            Ok(Redirect::to(&format!("/cases/{id}")).into_response())
        }
        Err(e) => {
            warn!(error.message = %e, "Call now failed");
            Ok(back_with_error(id, &format!("कॉल नहीं लग सकी · The call could not be placed: {e}")))
        }
    }
}

fn no_such_case() -> AppError {
    AppError::not_found("No such case")
}
