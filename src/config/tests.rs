//! Settings from defaults, a file and the environment.

use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |k| map.get(k).cloned()
}

#[test]
fn defaults_need_no_file_and_no_environment() {
    let s = Settings::from_sources(None, env(&[])).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.database_url, "sqlite://sampark.db");
    assert_eq!(s.public_url, "http://127.0.0.1:8080");
    assert!(s.twilio_auth_token.is_none());
}

#[test]
fn environment_wins_over_the_file() {
    let file = "listen = \"0.0.0.0:9000\"\npublic_url = \"https://file.example/\"\n";
    let s = Settings::from_sources(Some(file), env(&[("SAMPARK_PUBLIC_URL", "https://env.example/")])).unwrap();
    assert_eq!(s.listen.port(), 9000);
    assert_eq!(s.public_url, "https://env.example");
}

#[test]
fn a_typo_in_the_file_is_an_error() {
    assert!(Settings::from_sources(Some("lisen = \"x\""), env(&[])).is_err());
}

#[test]
fn weak_secrets_and_bad_networks_are_refused() {
    assert!(Settings::from_sources(None, env(&[("SAMPARK_KOOKOO_SECRET", "short")])).is_err());
    assert!(Settings::from_sources(None, env(&[("SAMPARK_EXOTEL_SECRET", "has/slash/in/it/and/is/long")])).is_err());
    let nets = env(&[("SAMPARK_EXOTEL_ALLOWED_NETWORKS", "10.0.0.0/8, 203.0.113.7")]);
    assert_eq!(Settings::from_sources(None, nets).unwrap().exotel_allowed_networks.len(), 2);
    assert!(Settings::from_sources(None, env(&[("SAMPARK_TRUSTED_PROXIES", "nope")])).is_err());
}

#[test]
fn connection_limits_have_defaults_and_refuse_nonsense() {
    let s = Settings::from_sources(None, env(&[])).unwrap();
    assert_eq!((s.header_read_timeout.as_secs(), s.max_connections, s.max_connections_per_peer), (5, 1024, 128));
    let set = env(&[("SAMPARK_HEADER_READ_TIMEOUT_SECS", "2"), ("SAMPARK_MAX_CONNECTIONS_PER_PEER", "8")]);
    let s = Settings::from_sources(None, set).unwrap();
    assert_eq!((s.header_read_timeout.as_secs(), s.max_connections_per_peer), (2, 8));
    assert!(Settings::from_sources(None, env(&[("SAMPARK_MAX_CONNECTIONS", "lots")])).is_err());
}

#[test]
fn the_token_never_prints() {
    let s = Settings::from_sources(None, env(&[("SAMPARK_TWILIO_AUTH_TOKEN", "hunter2")])).unwrap();
    assert!(!format!("{s:?}").contains("hunter2"));
}
