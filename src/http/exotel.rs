//! Exotel applets for Sampark's generic app (see `gateway::exotel` and
//! docs/gateways/exotel.md): `/exotel/{secret}/gather`, `…/passthru`,
//! `…/next`, `…/greeting` and `…/status`. Off (404) unless
//! `SAMPARK_EXOTEL_SECRET` is set; a wrong secret or an address outside the
//! allow-list also gets 404 and changes nothing.

use axum::{
    Router,
    body::Bytes,
    extract::{FromRequest, Multipart, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use tracing::error;

use super::{
    AppState, Failed, Refused, apology_actions,
    guard::{Admitted, Exotel},
    run_call,
};
use crate::{
    domain::CallId,
    flow::Action,
    gateway::{
        Params, Provider, Reply,
        exotel::{self, NextStep},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/exotel/{secret}/gather", get(gather))
        .route("/exotel/{secret}/passthru", get(passthru))
        .route("/exotel/{secret}/next", get(next))
        .route("/exotel/{secret}/greeting", get(greeting))
        .route("/exotel/{secret}/status", get(status).post(status))
        .route("/exotel/{secret}/bridge-status", get(bridge_status).post(bridge_status))
}

fn render(app: &AppState) -> impl Fn(&[Action], u32) -> Reply + Send + Sync + '_ {
    |actions: &[Action], _turn: u32| Reply {
        content_type: "application/json".to_owned(),
        body: exotel::render(actions, &app.voice),
    }
}

/// The step the call is at now (`None` for a call we do not know).
async fn current_step(app: &AppState, call_id: &CallId) -> Result<Option<NextStep>, ()> {
    match app.calls.current_reply(Provider::Exotel, call_id).await {
        Ok(reply) => Ok(reply.and_then(|r| NextStep::parse(&r.body))),
        Err(e) => {
            error!(error.message = %e, "could not read the call's current step");
            Err(())
        }
    }
}

/// What a caller hears when something fails: an apology, then the end.
fn apology(app: &AppState, failed: Failed) -> NextStep {
    let body = exotel::render(&apology_actions(app, failed), &app.voice);
    NextStep::parse(&body).expect("a rendered step parses")
}

/// The database failed this request for call `call_id`: spool the call,
/// then apologise.
async fn spool_and_apologise(app: &AppState, call_id: &CallId, params: &Params) -> NextStep {
    let caller = params
        .iter()
        .find(|(k, _)| k == "CallFrom" || k == "From")
        .and_then(|(_, v)| crate::domain::PhoneNumber::parse(v));
    let failed = match super::spool(app, Provider::Exotel, call_id, caller.as_ref()).await {
        Ok(_) => Failed::Spooled,
        Err(failed) => failed,
    };
    apology(app, failed)
}

fn json(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn branch(first: bool) -> Response {
    // Only the status matters to Exotel: 200 takes one branch, 302 the other.
    // No Location header, so no HTTP client follows it.
    let status = if first { StatusCode::OK } else { StatusCode::FOUND };
    (status, [(header::CONTENT_TYPE, "text/plain")], "").into_response()
}

/// Gather applet (dynamic URL): the current question; the first starts the call.
async fn gather(State(app): State<AppState>, Admitted { params, .. }: Admitted<Exotel>) -> Result<Response, Refused> {
    let call_id = exotel::parse_call_id(&params)?;
    let step = match current_step(&app, &call_id).await {
        Ok(Some(step)) => step,
        Ok(None) => {
            let inbound = exotel::parse_start(&params)?;
            match run_call(&app, &inbound, &render(&app)).await {
                Ok(reply) => NextStep::parse(&reply.body).unwrap_or_else(|| apology(&app, Failed::Lost)),
                Err(failed) => apology(&app, failed),
            }
        }
        Err(()) => spool_and_apologise(&app, &call_id, &params).await,
    };
    Ok(json(step.gather_json()))
}

/// Passthru "answer": the engine takes the keys or the voice message.
/// 200: the call goes on; 302: it is over.
async fn passthru(State(app): State<AppState>, Admitted { params, .. }: Admitted<Exotel>) -> Result<Response, Refused> {
    let call_id = exotel::parse_call_id(&params)?;
    let Ok(step) = current_step(&app, &call_id).await else {
        spool_and_apologise(&app, &call_id, &params).await;
        return Ok(branch(false));
    };
    let expecting_recording = matches!(step, Some(NextStep::Record { .. }));
    let inbound = exotel::parse_passthru(&params, expecting_recording)?;
    Ok(match run_call(&app, &inbound, &render(&app)).await.ok().and_then(|r| NextStep::parse(&r.body)) {
        Some(NextStep::End { .. }) | None => branch(false),
        Some(_) => branch(true),
    })
}

/// Passthru "next": 200 when the next step is a question, 302 a voice message.
async fn next(State(app): State<AppState>, Admitted { params, .. }: Admitted<Exotel>) -> Result<Response, Refused> {
    let call_id = exotel::parse_call_id(&params)?;
    let record = matches!(current_step(&app, &call_id).await, Ok(Some(NextStep::Record { .. })));
    Ok(branch(!record))
}

/// Greeting applet (dynamic, text/plain, answers HEAD too): the words
/// before a voice message, or the last words.
async fn greeting(State(app): State<AppState>, Admitted { params, .. }: Admitted<Exotel>) -> Result<Response, Refused> {
    let call_id = exotel::parse_call_id(&params)?;
    // The greeting follows a Passthru that ended the call or asked for a
    // message. Still at a question means the answer could not be taken (a
    // failure, already logged): the caller hears the apology.
    let step = match current_step(&app, &call_id).await {
        Ok(Some(step @ (NextStep::Record { .. } | NextStep::End { .. }))) => step,
        Ok(_) => apology(&app, Failed::Spooled),
        Err(()) => spool_and_apologise(&app, &call_id, &params).await,
    };
    Ok(([(header::CONTENT_TYPE, crate::gateway::PLAIN_TEXT)], step.greeting().to_owned()).into_response())
}

/// A POSTed body's parameters: URL-encoded, or multipart/form-data (which
/// older Exotel status callbacks send).
async fn body_params(app: &AppState, request: Request) -> Params {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(request, app).await.unwrap_or_default();
        return serde_urlencoded::from_bytes::<Params>(&body).unwrap_or_default();
    }
    let mut params = Params::new();
    let Ok(mut form) = Multipart::from_request(request, app).await else { return params };
    while let Ok(Some(field)) = form.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        if let Ok(value) = field.text().await {
            params.push((name, value));
        }
    }
    params
}

/// Status callback, or a Passthru at the end of the flow: the call is over.
async fn status(
    State(app): State<AppState>,
    Admitted { mut params, .. }: Admitted<Exotel>,
    request: Request,
) -> Result<Response, Refused> {
    params.extend(body_params(&app, request).await);
    let Some(inbound) = exotel::parse_status(&params)? else { return Ok(StatusCode::OK.into_response()) };
    let silent = |_: &[Action], _: u32| Reply { content_type: "text/plain".to_owned(), body: String::new() };
    Ok(match run_call(&app, &inbound, &silent).await {
        Ok(_) | Err(Failed::Spooled) => StatusCode::OK.into_response(),
        Err(Failed::Lost) => try_again(),
    })
}

/// 503: Exotel should send the callback again.
fn try_again() -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response()
}

/// Status callbacks of "Call now" calls placed through `Calls/connect`.
async fn bridge_status(
    State(app): State<AppState>,
    Admitted { mut params, .. }: Admitted<Exotel>,
    request: Request,
) -> Result<Response, Refused> {
    params.extend(body_params(&app, request).await);
    let (Ok(Some(call_sid)), Ok(Some(status))) =
        (crate::gateway::param(&params, "CallSid"), crate::gateway::param(&params, "Status"))
    else {
        return Err(Refused::Malformed("CallSid and Status are required, once each".to_owned()));
    };
    Ok(match app.desk.queue().update_attempt_call("exotel", call_sid, status).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(e) => {
            error!(error.message = %e, error.cause_chain = ?e, "could not record a Call now status");
            try_again()
        }
    })
}
