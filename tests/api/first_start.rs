//! A server nobody can sign in to yet (a first start) says, on its
//! sign-in page, how to create the first admin; once there is a user, the
//! page is the plain form again.

use super::helpers::spawn_app;

async fn sign_in_page(app: &super::helpers::TestApp) -> String {
    let page = app.client.get(format!("{}/login", app.address)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

#[tokio::test]
async fn the_sign_in_page_of_a_first_start_says_how_to_create_the_first_admin() {
    // Arrange: a fresh database, no users.
    let app = spawn_app().await;

    // Act
    let first = sign_in_page(&app).await;

    // Assert: the command, with the password on standard input.
    assert!(first.contains("Nobody can sign in yet"), "{first}");
    assert!(first.contains("sampark users add admin --role admin --password-stdin"), "{first}");

    // Once someone can sign in, the notice is gone; a disabled user would
    // not count. (A volunteer: the only admin cannot be disabled.)
    app.add_user("first.volunteer", "volunteer", "9", "hi", "").await;
    let later = sign_in_page(&app).await;
    assert!(!later.contains("Nobody can sign in yet"), "{later}");
    app.users.set_user_disabled("first.volunteer", true, chrono::Utc::now()).await.unwrap();
    assert!(sign_in_page(&app).await.contains("Nobody can sign in yet"), "only a disabled user left");
}
