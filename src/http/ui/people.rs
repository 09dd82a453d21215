//! Coordinators' pages of the national database: the review list of place
//! names the matcher was not sure of (pick the place; the pick is kept for
//! the spelling), and a person's page with every value each source gave,
//! where a conflict is settled. A coordinator sees the people of their
//! states (and those whose state nobody gave); an admin sees everyone.
//! Every view of a person's page, which shows their number, is audited.

use axum::{
    Router,
    extract::{Path, Query, State},
    response::Redirect,
    routing::{get, post},
};
use maud::{Markup, html};
use serde::Deserialize;

use super::{csrf_field, district_name, page, state_name, when};
use crate::{
    auth::{Role, User},
    directory::Directory,
    domain::{DistrictCode, PhoneNumber, StateCode},
    http::{
        AppState,
        access::{Coordinator, CsrfForm},
        error::AppError,
    },
    people::{Fact, Field, Person, Standing, review::Review},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/people/review", get(review_list))
        .route("/people/review/{id}", post(pick))
        .route("/people", get(people_list))
        .route("/people/{id}", get(person_page))
        .route("/people/{id}/settle", post(settle))
}

/// Whether `user` may see people of `state` (`None`: nobody gave it).
fn covers(user: &User, state: Option<i64>) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Coordinator => state.is_none_or(|s| user.states.iter().any(|own| i64::from(own.get()) == s)),
        _ => false,
    }
}

/// Whether `user` may see `person`: by their home state, or as a member of
/// the unit whose list brought them.
fn sees(user: &User, person: &Person) -> bool {
    covers(user, person.home_state_code)
        || (user.role == Role::Coordinator && person.unit_id.is_some_and(|u| user.units.contains(&u)))
}

/// Whether `user` settles `review`: of their states (or of no state), or
/// from their unit's list.
fn reviews(user: &User, review: &Review) -> bool {
    covers(user, review.state_code)
        || (user.role == Role::Coordinator && review.unit_id.is_some_and(|u| user.units.contains(&u)))
}

/// Person `id` with their facts, if `user` may see them (else not found,
/// as if there were none).
async fn person_for(app: &AppState, user: &User, id: i64) -> Result<(Person, Vec<Fact>), AppError> {
    let found = app.people.person(id).await?.filter(|(person, _)| sees(user, person));
    found.ok_or_else(|| AppError::not_found("no such person"))
}

/// On the case page: what the national database knows of the caller (a
/// name a state's list gave, a village), so the volunteer calling back
/// knows whom they are calling.
pub(super) fn of_case(person: &Option<Person>) -> Markup {
    let Some(person) = person else { return html! {} };
    let known = [&person.name, &person.village, &person.ward, &person.post_office, &person.current_location];
    if known.iter().all(|v| v.is_none()) {
        return html! {};
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    html! {
        section.card {
            h2 { "सूचियों से · From the lists" }
            p { "Name: " (text(&person.name)) " · Village: " (text(&person.village)) " · Ward: " (text(&person.ward))
                " · Post office: " (text(&person.post_office)) " · Now at: " (text(&person.current_location)) }
            @if person.open_conflicts > 0 { p { (person.open_conflicts) " values differ between sources: a coordinator settles them." } }
        }
    }
}

fn state_of(code: Option<i64>) -> Option<StateCode> {
    code.and_then(|c| u8::try_from(c).ok()).and_then(|c| StateCode::new(c).ok())
}

fn district_of(code: Option<i64>) -> Option<DistrictCode> {
    code.and_then(|c| u16::try_from(c).ok()).and_then(|c| DistrictCode::new(c).ok())
}

/// A place's name for a review's candidate.
fn place_name(field: Field, code: i64) -> String {
    match field {
        Field::HomeDistrict => district_name(district_of(Some(code))),
        _ => state_name(state_of(Some(code))),
    }
}

async fn review_list(State(app): State<AppState>, Coordinator(who): Coordinator) -> Result<Markup, AppError> {
    let reviews: Vec<Review> =
        app.people.open_reviews(None).await?.into_iter().filter(|r| reviews(&who.user, r)).collect();
    let directory = Directory::bundled();
    let body = html! {
        h1 { "जाँच सूची · Places to check" }
        p { "Names on imported lists the matcher was not sure of. Pick the place: everyone on the lists with that spelling gets it, and the next list spelt so is matched without asking." }
        @if reviews.is_empty() { p { "Nothing to check." } }
        @for r in &reviews {
            section.card {
                p {
                    strong { "“" (r.spelling) "”" }
                    " — " (if r.field == Field::HomeDistrict { "district" } else { "state" })
                    @if r.field == Field::HomeDistrict { " in " (state_name(state_of(r.state_code))) }
                    " · from " (r.source) " · " (when(&r.created_at))
                    " · " a href=(format!("/people/{}", r.person_id)) { "person" }
                }
                form method="post" action=(format!("/people/review/{}", r.id)) {
                    (csrf_field(&who))
                    @for (code, confidence) in &r.candidates {
                        label { input type="radio" name="code" value=(code); " " (place_name(r.field, *code)) " (" (format!("{:.0}%", confidence * 100.0)) ")" } br;
                    }
                    label { "Or: " select name="other" {
                        option value="" { "—" }
                        @if r.field == Field::HomeDistrict {
                            // The state's districts; with no state, every district by state.
                            @let states: Vec<StateCode> = match state_of(r.state_code) {
                                Some(state) => vec![state],
                                None => directory.states().map(|s| s.code).collect(),
                            };
                            @for state in states {
                                @for d in directory.districts_of(state) {
                                    option value=(d.code) { (d.name) @if r.state_code.is_none() { " (" (state_name(Some(state))) ")" } }
                                }
                            }
                        } @else {
                            @for s in directory.states() { option value=(s.code) { (s.name) } }
                        }
                    } }
                    " " button type="submit" { "यही है · This place" }
                }
            }
        }
    };
    Ok(page("Places to check", Some(&who), body))
}

#[derive(Deserialize)]
struct PickForm {
    code: Option<String>,
    #[serde(default)]
    other: String,
}

async fn pick(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Coordinator(who), form): CsrfForm<Coordinator, PickForm>,
) -> Result<Redirect, AppError> {
    let chosen = if form.other.trim().is_empty() { form.code.unwrap_or_default() } else { form.other };
    let code: i64 = chosen.trim().parse().map_err(|_| AppError::unprocessable("pick a place"))?;
    let review = app.people.open_reviews(None).await?.into_iter().find(|r| r.id == id);
    let review = review.ok_or_else(|| AppError::not_found("no such place to check (already settled?)"))?;
    if !reviews(&who.user, &review) {
        return Err(AppError::not_found("no such place to check (already settled?)"));
    }
    let now = app.desk.now();
    let people =
        app.people.resolve_review(Directory::bundled(), &app.places, id, code, &who.user.username, now).await?;
    let details = format!("{} '{}' = {code} for {people} people", review.field, review.spelling);
    app.desk.audit(&who.user, "pick_place", None, Some(details)).await?;
    Ok(Redirect::to("/people/review"))
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    conflicts: Option<String>,
}

/// People a page of the list shows.
const LISTED: i64 = 100;

async fn people_list(
    State(app): State<AppState>,
    Coordinator(who): Coordinator,
    Query(q): Query<ListQuery>,
) -> Result<Markup, AppError> {
    let conflicts = q.conflicts.is_some();
    let all = who.user.role == Role::Admin;
    let people = app.people.held_by(who.user.id, all, conflicts, q.after, LISTED).await?;
    let masked = |p: &Person| {
        p.phone.as_deref().and_then(PhoneNumber::parse).map_or_else(|| "(no number)".to_owned(), |n| n.masked())
    };
    let body = html! {
        h1 { "लोग · People" }
        p {
            a href="/people" { "All" } " · " a href="/people?conflicts=1" { "With values to settle" }
            " · " a href="/people/review" { "Places to check" } " · " a href="/people/import" { "Import a list" }
        }
        table {
            tr { th { "Name" } th { "Phone" } th { "Home" } th { "Now at" } th { "To settle" } }
            @for p in &people {
                tr {
                    td { a href=(format!("/people/{}", p.id)) { (p.name.as_deref().unwrap_or("(no name)")) } }
                    td { (masked(p)) }
                    td { (district_name(district_of(p.home_district_code))) ", " (state_name(state_of(p.home_state_code))) }
                    td { (p.current_location.as_deref().unwrap_or("—")) }
                    td { (p.open_conflicts) }
                }
            }
        }
        @if people.len() as i64 == LISTED {
            @let next = people.last().map_or(0, |p| p.id);
            p { a href=(format!("/people?after={next}{}", if conflicts { "&conflicts=1" } else { "" })) { "Next page" } }
        }
    };
    Ok(page("People", Some(&who), body))
}

async fn person_page(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    Coordinator(who): Coordinator,
) -> Result<Markup, AppError> {
    let (person, facts) = person_for(&app, &who.user, id).await?;
    app.desk.audit(&who.user, "view_person", None, Some(format!("person {id}"))).await?;
    let body = html! {
        h1 { (person.name.as_deref().unwrap_or("(no name given)")) }
        (summary(&person))
        h2 { "Every value, and who gave it" }
        table {
            tr { th { "Field" } th { "Value" } th { "Source" } th { "When" } th { "" } }
            @for f in &facts {
                tr {
                    td { (f.field) } td { (f.value) }
                    td { (f.source_kind.as_str()) ": " (f.source) @if let Some(by) = &f.given_by { " (" (by) ")" } }
                    td { (when(&f.given_at)) }
                    td {
                        @match f.standing {
                            Standing::Held => { "held" }
                            Standing::Overruled => { "overruled" }
                            Standing::Conflict => {
                                form method="post" action=(format!("/people/{id}/settle")) {
                                    (csrf_field(&who))
                                    input type="hidden" name="field" value=(f.field.column());
                                    input type="hidden" name="value" value=(f.value);
                                    button type="submit" { "Keep this one" }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page("Person", Some(&who), body))
}

fn summary(p: &Person) -> Markup {
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "—".to_owned());
    html! {
        table {
            tr { th { "Phone" } td { (text(&p.phone)) } }
            tr { th { "Home" } td { (district_name(district_of(p.home_district_code))) ", " (state_name(state_of(p.home_state_code))) } }
            tr { th { "Village · ward · post office · PIN" } td { (text(&p.village)) " · " (text(&p.ward)) " · " (text(&p.post_office)) " · " (text(&p.pin_code)) } }
            tr { th { "Now at" } td { (text(&p.current_location)) } }
            tr { th { "Language · need" } td { (text(&p.language)) " · " (text(&p.need)) } }
            tr { th { "Open conflicts" } td { (p.open_conflicts) } }
        }
    }
}

#[derive(Deserialize)]
struct SettleForm {
    field: String,
    value: String,
}

async fn settle(
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(Coordinator(who), form): CsrfForm<Coordinator, SettleForm>,
) -> Result<Redirect, AppError> {
    let field = Field::from_column(&form.field).ok_or_else(|| AppError::unprocessable("no such field"))?;
    person_for(&app, &who.user, id).await?;
    app.people.settle(id, field, &form.value, app.desk.now()).await?;
    app.desk.audit(&who.user, "settle_person", None, Some(format!("person {id}: {field}"))).await?;
    Ok(Redirect::to(&format!("/people/{id}")))
}
