//! Joined recordings (`/prompts/sequence.<v>.wav`) are public, so what a
//! stranger can make the server join is bounded: only lists a question of
//! the flows plays, each joined once, whatever the number of requests.

use super::{
    dialects::{Dialect, Phone},
    helpers::{Options, TestApp, language_menu_recordings, prompts_with_recordings, spawn_app_with},
};

/// The first question's prompts, and the consent question's, in Hindi.
fn recorded() -> Vec<(&'static str, &'static str)> {
    let mut list = language_menu_recordings();
    list.extend([("hi", "consent"), ("hi", "invalid_choice"), ("hi", "no_input")]);
    list
}

async fn get(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let response = app.client.get(format!("{}{path}", app.address)).send().await.unwrap();
    (response.status().as_u16(), response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn a_sequence_the_server_rendered_is_joined_once_however_often_it_is_fetched() {
    let prompts = prompts_with_recordings(&recorded());
    let app = spawn_app_with(Options { prompts_dir: prompts.path().to_owned(), ..Options::default() }).await;
    let phone = Phone::dial(&app, Dialect::Exotel, "0000000000000000000000000000a801", "1000000081").await;
    let url = phone.heard.audio.first().expect("one audio URL for the first question");
    assert!(url.contains("/prompts/sequence."), "{url}");
    let path = app.local_url(url).strip_prefix(&app.address).unwrap().to_owned();
    assert_eq!(app.prompts.sequences().joins(), 0, "nothing joined before a gateway asks");

    // Concurrent first requests: one join, the same bytes for all.
    let first = futures::future::join_all((0..8).map(|_| get(&app, &path))).await;
    let (status, bytes) = first[0].clone();
    assert_eq!(status, 200);
    assert!(first.iter().all(|answer| *answer == (200, bytes.clone())), "the same file for every request");
    let reader = hound::WavReader::new(std::io::Cursor::new(bytes.clone())).unwrap();
    assert_eq!(reader.duration(), 19 * 8 * 300, "the menu's nineteen 300 ms recordings, joined");
    assert_eq!(app.prompts.sequences().joins(), 1);

    for _ in 0..20 {
        assert_eq!(get(&app, &path).await, (200, bytes.clone()));
    }
    assert_eq!(app.prompts.sequences().joins(), 1, "served from the cache");
}

#[tokio::test]
async fn a_list_that_no_question_plays_is_404_without_a_join() {
    let prompts = prompts_with_recordings(&recorded());
    let app = spawn_app_with(Options { prompts_dir: prompts.path().to_owned(), ..Options::default() }).await;
    let menu: Vec<String> = language_menu_recordings().iter().map(|(l, k)| format!("{l}/{k}")).collect();
    let asked = format!("p={}", menu.join(","));
    let strangers = [
        "/prompts/sequence.0000000000000000.wav?p=hi/language_option,hi/welcome".to_owned(),
        "/prompts/sequence.0000000000000000.wav?p=hi/welcome,hi/language_option,hi/press_1".to_owned(),
        "/prompts/sequence.0000000000000000.wav?p=hi/consent,hi/consent,hi/consent".to_owned(),
        "/prompts/sequence.0000000000000000.wav?p=hi/no_input,hi/welcome".to_owned(),
        format!("/prompts/sequence.0000000000000000.wav?{asked},hi/consent"),
        format!("/prompts/other.wav?{asked}"),
    ];
    for path in &strangers {
        assert_eq!(get(&app, path).await.0, 404, "{path}");
    }
    for n in 0..100 {
        let path = format!("/prompts/sequence.{n:016}.wav?p=hi/consent,hi/welcome,hi/invalid_choice");
        assert_eq!(get(&app, &path).await.0, 404);
    }
    assert_eq!(app.prompts.sequences().joins(), 0, "nothing was joined");

    // The same prompts in an order a question plays them (a retry of consent).
    let retry = "/prompts/sequence.0000000000000000.wav?p=hi/invalid_choice,hi/consent";
    assert_eq!(get(&app, retry).await.0, 200);
    assert_eq!(app.prompts.sequences().joins(), 1);
}
