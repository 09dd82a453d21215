//! Settings from defaults, a file and the environment.

use std::collections::HashMap;

use super::*;

/// An environment with a home directory and `pairs`.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let mut map: HashMap<String, String> = HashMap::from([("HOME".to_owned(), "/home/worker".to_owned())]);
    map.extend(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    move |k| map.get(k).cloned()
}

#[test]
fn defaults_need_no_file_and_no_environment_but_a_home() {
    let s = Settings::from_sources(None, env(&[])).unwrap();
    assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(s.data_dir, Path::new("/home/worker/.local/share/sampark"));
    assert_eq!(s.database_url, "sqlite:///home/worker/.local/share/sampark/sampark.db");
    assert_eq!(s.spool_path, Path::new("/home/worker/.local/share/sampark/sampark-spool.jsonl"));
    assert_eq!(s.flows_dir, Path::new("/home/worker/.local/share/sampark/call_flows"));
    assert_eq!(s.prompts_dir, Path::new("/home/worker/.local/share/sampark/prompts"));
    assert_eq!(s.stop_grace.as_secs(), 300);
    assert_eq!(s.public_url, "http://127.0.0.1:8080");
    assert!(s.twilio_auth_token.is_none());
}

#[test]
fn the_data_directory_comes_from_the_environment_systemd_or_xdg_never_the_working_directory() {
    let dir = |pairs: &[(&str, &str)]| Settings::from_sources(None, env(pairs)).unwrap().data_dir;
    assert_eq!(dir(&[("SAMPARK_DATA_DIR", "/srv/sampark")]), Path::new("/srv/sampark"));
    assert_eq!(dir(&[("STATE_DIRECTORY", "/var/lib/sampark:/var/lib/other")]), Path::new("/var/lib/sampark"));
    assert_eq!(dir(&[("XDG_DATA_HOME", "/data")]), Path::new("/data/sampark"));
    assert_eq!(dir(&[("XDG_DATA_HOME", "relative")]), Path::new("/home/worker/.local/share/sampark"));
    let file = Settings::from_sources(Some("data_dir = \"/from/file\""), env(&[])).unwrap();
    assert_eq!(file.database_url, "sqlite:///from/file/sampark.db");
    let both = Settings::from_sources(Some("data_dir = \"/from/file\""), env(&[("SAMPARK_DATA_DIR", "/env")]));
    assert_eq!(both.unwrap().data_dir, Path::new("/env"));
    let nowhere = Settings::from_sources(None, |_: &str| None);
    assert!(nowhere.unwrap_err().to_string().contains("SAMPARK_DATA_DIR"));
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
