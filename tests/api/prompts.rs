//! Prompt recordings: uploads through the API and the admin page, what
//! gateways are then served, versions and rollback, refusals with reasons.

use reqwest::{Method, StatusCode, header};

use super::{
    helpers::{ApiSession, TestApp, spawn_app},
    twilio_sim::Call,
};

/// A WAV as a laptop records it: 44.1 kHz stereo 16-bit, a tone at
/// `freq` Hz for `millis`, at a normal speaking level.
pub fn laptop_wav(freq: f32, millis: u32) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
    let frames = 44_100 * millis / 1000;
    for i in 0..frames {
        let t = i as f32 / 44_100.0;
        let sample = ((t * freq * std::f32::consts::TAU).sin() * 8000.0) as i16;
        writer.write_sample(sample).unwrap();
        writer.write_sample(sample).unwrap();
    }
    writer.finalize().unwrap();
    out.into_inner()
}

async fn admin(app: &TestApp) -> ApiSession {
    app.add_user("admin1", "admin", "", "", "").await;
    app.api_login("admin1").await
}

async fn put_prompt(app: &TestApp, session: &ApiSession, path: &str, body: Vec<u8>) -> reqwest::Response {
    app.api(session, Method::PUT, &format!("/api/v1/prompts/{path}"))
        .header(header::CONTENT_TYPE, "audio/wav")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Fetches a prompt URL as a gateway would: status, ETag, body.
async fn fetch(app: &TestApp, url: &str) -> (StatusCode, String, String, Vec<u8>) {
    let response = app.client.get(app.local_url(url)).send().await.unwrap();
    let status = response.status();
    let etag = response.headers().get(header::ETAG).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let cache =
        response.headers().get(header::CACHE_CONTROL).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, etag, cache, response.bytes().await.unwrap().to_vec())
}

/// The URL the first TwiML of a call plays for `hi/welcome`.
async fn welcome_url(app: &TestApp, sid: &str) -> Option<String> {
    let call = Call::start(app, sid, "+911000000101").await;
    call.twiml.plays.iter().find(|url| url.contains("/prompts/hi/welcome.")).cloned()
}

#[tokio::test]
async fn an_uploaded_recording_is_converted_and_played_to_the_next_caller() {
    let app = spawn_app().await;
    let session = admin(&app).await;
    assert_eq!(welcome_url(&app, "CA00000000000000000000000000000701").await, None, "spoken from text before");

    let response = put_prompt(&app, &session, "hi/welcome", laptop_wav(440.0, 2000)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let version: serde_json::Value = response.json().await.unwrap();
    assert_eq!(version["active"], true);
    assert_eq!(version["original_format"], "wav");
    assert_eq!(version["uploaded_by"], "admin1");
    let duration = version["duration_ms"].as_i64().unwrap();
    assert!((1980..=2020).contains(&duration), "2 s within 1 %: {duration}");

    let url = welcome_url(&app, "CA00000000000000000000000000000702").await.expect("the recording plays now");
    let (status, etag, cache, body) = fetch(&app, &url).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!etag.is_empty() && cache.contains("max-age"), "cacheable: {etag} {cache}");
    let reader = hound::WavReader::new(std::io::Cursor::new(&body)).unwrap();
    let spec = reader.spec();
    assert_eq!((spec.sample_rate, spec.channels, spec.bits_per_sample), (8000, 1, 16));

    // A cache that has this version is told it is still current.
    let again = app.client.get(app.local_url(&url)).header(header::IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    // The same file again is not a new version.
    let same = put_prompt(&app, &session, "hi/welcome", laptop_wav(440.0, 2000)).await;
    assert_eq!(same.status(), StatusCode::OK);
    let same: serde_json::Value = same.json().await.unwrap();
    assert_eq!(same["id"], version["id"]);

    let audit = app.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'prompt_upload'").await;
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn rollback_serves_the_earlier_version_with_a_new_etag() {
    let app = spawn_app().await;
    let session = admin(&app).await;
    let first = laptop_wav(440.0, 1500);
    assert_eq!(put_prompt(&app, &session, "hi/welcome", first).await.status(), StatusCode::CREATED);
    let url_first = welcome_url(&app, "CA00000000000000000000000000000711").await.unwrap();
    let (_, etag_first, _, body_first) = fetch(&app, &url_first).await;

    assert_eq!(put_prompt(&app, &session, "hi/welcome", laptop_wav(660.0, 1500)).await.status(), StatusCode::CREATED);
    let url_second = welcome_url(&app, "CA00000000000000000000000000000712").await.unwrap();
    let (_, etag_second, _, body_second) = fetch(&app, &url_second).await;
    assert_ne!(url_first, url_second, "a new version has a new URL, so gateway caches fetch it");
    assert_ne!(etag_first, etag_second);
    assert_ne!(body_first, body_second);

    let rolled = app.api(&session, Method::POST, "/api/v1/prompts/hi/welcome/rollback").send().await.unwrap();
    assert_eq!(rolled.status(), StatusCode::OK);
    let url_back = welcome_url(&app, "CA00000000000000000000000000000713").await.unwrap();
    assert_eq!(url_back, url_first);
    // A cache holding the second version asks again and gets the first.
    let response =
        app.client.get(app.local_url(&url_second)).header(header::IF_NONE_MATCH, &etag_second).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let etag_back = response.headers()[header::ETAG].to_str().unwrap().to_owned();
    assert_eq!(etag_back, etag_first);
    assert_ne!(etag_back, etag_second);
    assert_eq!(response.bytes().await.unwrap().to_vec(), body_first);

    let versions: Vec<serde_json::Value> = app
        .api(&session, Method::GET, "/api/v1/prompts/hi/welcome/versions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(versions.len(), 2, "both versions are kept");
    assert_eq!(versions.iter().filter(|v| v["active"] == true).count(), 1);
    assert_eq!(versions[1]["active"], true, "the older one is active again");

    // There is nothing before the first version.
    let again = app.api(&session, Method::POST, "/api/v1/prompts/hi/welcome/rollback").send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // Any version can be made active again by its id; an id of another prompt cannot.
    let newer = versions[0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/prompts/hi/welcome/versions/{newer}/activate");
    let activated = app.api(&session, Method::POST, &path).send().await.unwrap();
    assert_eq!(activated.status(), StatusCode::OK);
    assert_eq!(welcome_url(&app, "CA00000000000000000000000000000714").await.unwrap(), url_second);
    let wrong = format!("/api/v1/prompts/bn/consent/versions/{newer}/activate");
    assert_eq!(app.api(&session, Method::POST, &wrong).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    let audited = app
        .database
        .scalar("SELECT count(*) FROM audit_log WHERE action IN ('prompt_rollback', 'prompt_activate')")
        .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn only_admins_upload_and_nothing_a_client_sends_becomes_a_path() {
    let app = spawn_app().await;
    let session = admin(&app).await;
    app.add_user("vol1", "volunteer", "9", "hi", "").await;
    let volunteer = app.api_login("vol1").await;
    let wav = laptop_wav(440.0, 1000);

    assert_eq!(put_prompt(&app, &volunteer, "hi/welcome", wav.clone()).await.status(), StatusCode::FORBIDDEN);
    let anonymous =
        app.client.put(format!("{}/api/v1/prompts/hi/welcome", app.address)).body(wav.clone()).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let rollback = app.api(&volunteer, Method::POST, "/api/v1/prompts/hi/welcome/rollback").send().await.unwrap();
    assert_eq!(rollback.status(), StatusCode::FORBIDDEN);

    for bad in ["hi/..%2F..%2Fcatalog", "hi/..%2Fwelcome", "hi/welcome.wav", "..%2Fhi/welcome", "hi/%2Fetc%2Fpasswd"] {
        let response = put_prompt(&app, &session, bad, wav.clone()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    // Well-formed, but not a prompt or language Sampark has.
    assert_eq!(put_prompt(&app, &session, "hi/no_such_prompt", wav.clone()).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(put_prompt(&app, &session, "xx/welcome", wav.clone()).await.status(), StatusCode::NOT_FOUND);
    let stored = app.database.scalar("SELECT count(*) FROM prompt_versions").await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn bad_recordings_are_refused_with_their_reason_and_the_active_one_stays() {
    let app = spawn_app().await;
    let session = admin(&app).await;
    assert_eq!(put_prompt(&app, &session, "hi/welcome", laptop_wav(440.0, 1000)).await.status(), StatusCode::CREATED);
    let before = welcome_url(&app, "CA00000000000000000000000000000721").await.unwrap();

    let silence = {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = std::io::Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
        for _ in 0..16_000 {
            writer.write_sample(0i16).unwrap();
        }
        writer.finalize().unwrap();
        out.into_inner()
    };
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("a text file", b"Namaste, this is not a recording\n".repeat(50), "not a sound recording"),
        ("silence", silence, "silent"),
        ("nothing", Vec::new(), "not a sound recording"),
    ];
    for (what, body, reason) in cases {
        let response = put_prompt(&app, &session, "hi/welcome", body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let json: serde_json::Value = response.json().await.unwrap();
        let message = json["error"].as_str().unwrap();
        assert!(message.contains(reason), "{what}: {message}");
    }
    assert_eq!(welcome_url(&app, "CA00000000000000000000000000000722").await.unwrap(), before);
    assert_eq!(app.database.scalar("SELECT count(*) FROM prompt_versions").await, 1);
}

#[tokio::test]
async fn the_admin_page_shows_coverage_and_takes_uploads_from_a_form() {
    let app = spawn_app().await;
    let session = admin(&app).await;
    let cookie = format!("sampark_session={}", session.token);
    let page = |path: &str| app.client.get(format!("{}{path}", app.address)).header("Cookie", &cookie).send();

    let matrix = page("/admin/prompts").await.unwrap().text().await.unwrap();
    assert!(matrix.contains("welcome") && matrix.contains("spooled"), "{matrix}");
    assert!(matrix.contains("0 ✓"), "nothing is recorded yet: {matrix}");

    let form = reqwest::multipart::Form::new()
        .text("csrf", session.csrf.clone())
        .part("file", reqwest::multipart::Part::bytes(laptop_wav(440.0, 1200)).file_name("welcome.wav"));
    let response = app
        .client
        .post(format!("{}/admin/prompts/bn/consent", app.address))
        .header("Cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("is now playing to callers"), "{body}");

    let matrix = page("/admin/prompts").await.unwrap().text().await.unwrap();
    assert!(matrix.contains("title=\"recorded\""), "{matrix}");

    // The upload is kept as it came, beside what gateways play.
    let original = page("/admin/prompts/versions/1.original").await.unwrap();
    assert_eq!(original.status(), StatusCode::OK);
    assert_eq!(original.bytes().await.unwrap().to_vec(), laptop_wav(440.0, 1200));
    let converted = page("/admin/prompts/versions/1.wav").await.unwrap().bytes().await.unwrap();
    let spec = hound::WavReader::new(std::io::Cursor::new(converted.to_vec())).unwrap().spec();
    assert_eq!((spec.sample_rate, spec.channels), (8000, 1));
    assert_eq!(page("/admin/prompts/versions/99.original").await.unwrap().status(), StatusCode::NOT_FOUND);

    // A form without the CSRF token changes nothing.
    let forged = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(laptop_wav(660.0, 1200)).file_name("x.wav"));
    let response = app
        .client
        .post(format!("{}/admin/prompts/bn/consent", app.address))
        .header("Cookie", &cookie)
        .multipart(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The API's coverage agrees.
    let coverage: serde_json::Value =
        app.api(&session, Method::GET, "/api/v1/prompts").send().await.unwrap().json().await.unwrap();
    let languages: Vec<&str> = coverage["languages"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    let bn = languages.iter().position(|l| *l == "bn").unwrap();
    let consent = coverage["prompts"].as_array().unwrap().iter().find(|r| r["key"] == "consent").unwrap();
    assert_eq!(consent["cells"][bn]["status"], "recorded");
    assert_eq!(coverage["totals"][bn]["recorded"], 1);
}

#[tokio::test]
async fn an_upload_on_one_instance_is_served_by_the_others() {
    let options =
        || super::helpers::Options { env: vec![("SAMPARK_PROMPT_REFRESH_SECS", "1".to_owned())], ..Default::default() };
    let app = super::helpers::spawn_app_with(options()).await;
    // Already running when the upload lands on the first instance (on
    // PostgreSQL in CI's second pass, as behind a load balancer).
    let other =
        super::helpers::spawn_app_with(super::helpers::Options { database: Some(app.database.clone()), ..options() })
            .await;
    let served = |instance: &TestApp| {
        let url = format!("{}/prompts/or/consent.wav", instance.address);
        let client = instance.client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    };
    assert_eq!(served(&other).await, StatusCode::NOT_FOUND, "nothing uploaded yet");
    let session = admin(&app).await;
    assert_eq!(put_prompt(&app, &session, "or/consent", laptop_wav(500.0, 800)).await.status(), StatusCode::CREATED);
    assert_eq!(served(&app).await, StatusCode::OK, "served at once where it was uploaded");
    let mut status = StatusCode::NOT_FOUND;
    for _ in 0..50 {
        status = served(&other).await;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "the other instance picks it up on its next refresh");
    // And a server started later reads it at start.
    let late = super::helpers::spawn_app_with(super::helpers::Options {
        database: Some(app.database.clone()),
        ..Default::default()
    })
    .await;
    assert_eq!(served(&late).await, StatusCode::OK);
}

#[tokio::test]
async fn the_longest_recording_accepted_is_a_setting() {
    let app = super::helpers::spawn_app_with(super::helpers::Options {
        env: vec![("SAMPARK_PROMPT_MAX_SECS", "2".to_owned())],
        ..Default::default()
    })
    .await;
    let session = admin(&app).await;
    let response = put_prompt(&app, &session, "hi/welcome", laptop_wav(440.0, 3000)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = response.json().await.unwrap();
    assert!(json["error"].as_str().unwrap().contains("too long"), "{json}");
    assert_eq!(put_prompt(&app, &session, "hi/welcome", laptop_wav(440.0, 1500)).await.status(), StatusCode::CREATED);
}

/// A mono 16-bit WAV of `samples` (full scale ±1.0) at 16 kHz.
fn wav16k(samples: impl IntoIterator<Item = f32>) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
    for s in samples {
        writer.write_sample((s * 32767.0) as i16).unwrap();
    }
    writer.finalize().unwrap();
    out.into_inner()
}

/// What the issue uploaded: a WAV header followed by random bytes (a fixed
/// generator, so the test is repeatable).
fn noise_wav() -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    wav16k((0..32_000).map(|_| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        f32::from((state >> 48) as u16 as i16) / 32768.0
    }))
}

/// Asserts that `hi/welcome` is spoken from the catalog text: no recording
/// is served for it and the call's first TwiML says it.
async fn welcome_is_spoken_from_text(app: &TestApp, sid: &str) {
    let call = Call::start(app, sid, "+911000000102").await;
    assert!(!call.twiml.plays.iter().any(|url| url.contains("/prompts/hi/welcome.")), "{}", call.twiml.raw);
    assert!(call.twiml.raw.contains("<Say"), "{}", call.twiml.raw);
    assert!(call.twiml.spoken().contains("हेल्पलाइन"), "{}", call.twiml.raw);
    let served = app.client.get(format!("{}/prompts/hi/welcome.wav", app.address)).send().await.unwrap();
    assert_eq!(served.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn noise_a_truncated_wav_and_a_10_ms_clip_are_refused_and_nothing_goes_live() {
    let app = spawn_app().await;
    let session = admin(&app).await;
    let whole = laptop_wav(440.0, 2000);
    let cases: [(&str, Vec<u8>, &str); 3] = [
        ("random bytes after a WAV header", noise_wav(), "only noise"),
        ("a WAV cut at 60 %", whole[..whole.len() * 6 / 10].to_vec(), "incomplete"),
        ("a 10 ms clip", laptop_wav(440.0, 10), "too short"),
    ];
    for (what, body, reason) in cases {
        let response = put_prompt(&app, &session, "hi/welcome", body).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let json: serde_json::Value = response.json().await.unwrap();
        let message = json["error"].as_str().unwrap();
        assert!(message.contains(reason), "{what}: {message}");
    }
    welcome_is_spoken_from_text(&app, "CA00000000000000000000000000000731").await;
    assert_eq!(app.database.scalar("SELECT count(*) FROM prompt_versions").await, 0);
    assert_eq!(app.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'prompt_upload'").await, 0);
}

/// The MP3 fixture (LAME VBR) made into the crafted file: its Xing
/// header claims three MPEG frames, and `repeats` copies of its audio frames
/// follow. The decoder trims every sample past the claimed frames, so it
/// decodes frame after frame for almost no output; before the decoder had a
/// work budget this ran unbounded (7 s of CPU for 30 MB on the test machine,
/// and the file was accepted as a 0.1 s prompt).
fn mp3_hiding_its_frames(repeats: usize) -> Vec<u8> {
    let mp3 =
        std::fs::read(super::helpers::repo_path("tests/fixtures/audio/tone-440hz-1500ms-44k1-stereo.mp3")).unwrap();
    // The first frame: MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding.
    assert_eq!(mp3[..4], [0xFF, 0xFB, 0x90, 0x64]);
    let first = 144 * 128_000 / 44_100;
    let xing = mp3.windows(4).position(|w| w == b"Xing").unwrap();
    let mut crafted = mp3[..first].to_vec();
    crafted[xing + 8..xing + 12].copy_from_slice(&3u32.to_be_bytes());
    for _ in 0..repeats {
        crafted.extend_from_slice(&mp3[first..]);
    }
    crafted
}

#[tokio::test]
async fn crafted_mp3s_are_refused_with_a_reason() {
    let app = super::helpers::spawn_app_with(super::helpers::Options {
        env: vec![("SAMPARK_PROMPT_MAX_SECS", "2".to_owned())],
        ..Default::default()
    })
    .await;
    let session = admin(&app).await;
    // 45 s of frames behind a header claiming 37 ms, under a 2 s limit.
    let hiding = put_prompt(&app, &session, "hi/welcome", mp3_hiding_its_frames(30)).await;
    assert_eq!(hiding.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = hiding.json().await.unwrap();
    assert!(json["error"].as_str().unwrap().contains("too long"), "{json}");
    // The 30 MB: larger than 2 s of MP3 can be, refused unread.
    let huge = mp3_hiding_its_frames(4_000);
    assert!(huge.len() > 28_000_000, "{}", huge.len());
    let response = put_prompt(&app, &session, "hi/welcome", huge).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let json: serde_json::Value = response.json().await.unwrap();
    let message = json["error"].as_str().unwrap();
    assert!(message.contains("MB") && message.contains("at most 2 seconds"), "{message}");
    welcome_is_spoken_from_text(&app, "CA00000000000000000000000000000741").await;
    assert_eq!(app.database.scalar("SELECT count(*) FROM prompt_versions").await, 0);
}

#[tokio::test]
async fn use_text_puts_callers_back_on_say_here_at_once_and_elsewhere_at_the_next_refresh() {
    let options =
        || super::helpers::Options { env: vec![("SAMPARK_PROMPT_REFRESH_SECS", "1".to_owned())], ..Default::default() };
    let app = super::helpers::spawn_app_with(options()).await;
    let other =
        super::helpers::spawn_app_with(super::helpers::Options { database: Some(app.database.clone()), ..options() })
            .await;
    let session = admin(&app).await;
    let served = |instance: &TestApp| {
        let url = format!("{}/prompts/hi/welcome.wav", instance.address);
        let client = instance.client.clone();
        async move { client.get(url).send().await.unwrap().status() }
    };
    let uploaded = put_prompt(&app, &session, "hi/welcome", laptop_wav(440.0, 1500)).await;
    assert_eq!(uploaded.status(), StatusCode::CREATED);
    let version: serde_json::Value = uploaded.json().await.unwrap();
    assert!(welcome_url(&app, "CA00000000000000000000000000000751").await.is_some(), "the recording plays");
    let mut status = StatusCode::NOT_FOUND;
    for _ in 0..50 {
        status = served(&other).await;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::OK, "the other instance serves the upload");

    // Act: back to the text.
    let response = app.api(&session, Method::DELETE, "/api/v1/prompts/hi/welcome/active").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let deactivated: serde_json::Value = response.json().await.unwrap();
    assert_eq!(deactivated["id"], version["id"]);
    assert_eq!(deactivated["active"], false);

    // At once on this instance, at the next refresh on the other.
    welcome_is_spoken_from_text(&app, "CA00000000000000000000000000000752").await;
    for _ in 0..50 {
        status = served(&other).await;
        if status == StatusCode::NOT_FOUND {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::NOT_FOUND, "the other instance stops serving it");
    welcome_is_spoken_from_text(&other, "CA00000000000000000000000000000753").await;

    // The recording is kept, and nothing is active: a second DELETE has nothing to do.
    let versions: Vec<serde_json::Value> = app
        .api(&session, Method::GET, "/api/v1/prompts/hi/welcome/versions")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0]["active"], false);
    let again = app.api(&session, Method::DELETE, "/api/v1/prompts/hi/welcome/active").send().await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let audited = app.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'prompt_use_text'").await;
    assert_eq!(audited, 1);

    // Only admins, with the CSRF check of a changing request.
    app.add_user("vol2", "volunteer", "9", "hi", "").await;
    let volunteer = app.api_login("vol2").await;
    let forbidden = app.api(&volunteer, Method::DELETE, "/api/v1/prompts/hi/welcome/active").send().await.unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // The version can be made active again, and the admin page goes back to the text too.
    let path = format!("/api/v1/prompts/hi/welcome/versions/{}/activate", version["id"]);
    assert_eq!(app.api(&session, Method::POST, &path).send().await.unwrap().status(), StatusCode::OK);
    assert!(welcome_url(&app, "CA00000000000000000000000000000754").await.is_some());
    let cookie = format!("sampark_session={}", session.token);
    let page = app
        .client
        .get(format!("{}/admin/prompts/hi/welcome", app.address))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"use-text\""), "{page}");
    let forged = app
        .client
        .post(format!("{}/admin/prompts/hi/welcome/use-text", app.address))
        .header("Cookie", &cookie)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let used = app
        .client
        .post(format!("{}/admin/prompts/hi/welcome/use-text", app.address))
        .header("Cookie", &cookie)
        .form(&[("csrf", session.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::OK, "redirected back to the prompt's page");
    let page = used.text().await.unwrap();
    assert!(page.contains("No recording: callers hear the text"), "{page}");
    welcome_is_spoken_from_text(&app, "CA00000000000000000000000000000755").await;
    let audited = app.database.scalar("SELECT count(*) FROM audit_log WHERE action = 'prompt_use_text'").await;
    assert_eq!(audited, 2);
}
