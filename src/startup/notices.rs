//! What the log says at start: which gateways answer, and how to make the
//! first admin.

use tracing::{info, warn};

use crate::config::Settings;

/// `sampark users add admin …` as this very binary, on this server's data
/// directory when the environment chose it.
pub(super) fn first_admin_command(settings: &Settings) -> String {
    let exe = std::env::current_exe().map_or_else(|_| "sampark".to_owned(), |p| p.display().to_string());
    let data_dir = match std::env::var_os("SAMPARK_DATA_DIR") {
        Some(_) => format!("SAMPARK_DATA_DIR={} ", shell_word(&settings.data_dir.display().to_string())),
        None => String::new(),
    };
    let exe = shell_word(&exe);
    format!(
        "printf '%s\\n' 'a long password of your own' | {data_dir}{exe} users add admin --role admin --password-stdin"
    )
}

/// `word` as the shell reads it back: quoted when it holds anything but
/// letters, digits and `/._-`.
fn shell_word(word: &str) -> String {
    if word.chars().all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Says at start which gateways answer, and how their requests are checked.
pub(super) fn log_gateways(settings: &Settings) {
    match &settings.twilio_auth_token {
        Some(_) => info!("Twilio: /twilio/voice, request signatures are checked"),
        None => warn!("Twilio: /twilio/voice, SAMPARK_TWILIO_AUTH_TOKEN is not set: signatures are NOT checked"),
    }
    match &settings.plivo_auth_token {
        Some(_) => info!(signature = ?settings.plivo_signature, "Plivo: /plivo/voice, request signatures are checked"),
        None => info!("Plivo: off (set SAMPARK_PLIVO_AUTH_TOKEN)"),
    }
    for (name, secret, networks) in [
        ("KooKoo", &settings.kookoo_secret, &settings.kookoo_allowed_networks),
        ("Exotel", &settings.exotel_secret, &settings.exotel_allowed_networks),
    ] {
        match (secret, networks.is_empty()) {
            (None, _) => info!("{name}: off (set SAMPARK_{}_SECRET)", name.to_uppercase()),
            (Some(_), true) => info!("{name}: on, behind its secret path; no source allow-list"),
            (Some(_), false) => {
                info!(networks = networks.len(), "{name}: on, behind its secret path and a source allow-list")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn a_path_the_shell_would_split_or_expand_is_quoted_and_others_are_left_alone() {
        assert_eq!(shell_word("/usr/local/bin/sampark"), "/usr/local/bin/sampark");
        assert_eq!(shell_word("/home/a b/sampark"), "'/home/a b/sampark'");
        assert_eq!(shell_word("/tmp/it's"), r"'/tmp/it'\''s'");
        assert_eq!(shell_word("/srv/$HOME"), "'/srv/$HOME'");
    }
}
