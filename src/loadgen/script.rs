//! The call `sampark loadgen` plays: the default flow's nine webhooks as
//! Twilio sends them (eight TwiML turns and the status callback). Paths,
//! form bodies and the order in which the signature takes the parameters
//! are worked out once, so a request costs one body, one HMAC and one
//! header value: the generator stays light beside the servers it measures.

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use hyper::{Uri, body::Bytes, header::HeaderValue};
use sha1::Sha1;

/// A form value: fixed, or one of the call's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value {
    Fixed(&'static str),
    CallSid,
    Caller,
}

/// The parameters Twilio sends with every webhook of a call.
const COMMON: [(&str, Value); 4] = [
    ("AccountSid", Value::Fixed("AC00000000000000000000000000000000")),
    ("CallSid", Value::CallSid),
    ("From", Value::Caller),
    ("To", Value::Fixed("+910000000000")),
];

/// The webhooks of one call: path, the key the server records the turn
/// under, and what the step adds to the form.
/// The state is Bihar, the second name of the list of states (`2`); the
/// district is answered `212` (Patna): the gather takes one key more than the
/// longest code, the caller ends with `#`, and Twilio sends the keys without
/// it (<https://www.twilio.com/docs/voice/twiml/gather#finishonkey>).
const STEPS: [Webhook; 9] = [
    w("/twilio/voice", "turn:0", &[("CallStatus", "ringing")]),
    w("/twilio/voice?turn=1", "turn:1", &[("Digits", "1")]),
    w("/twilio/voice?turn=2", "turn:2", &[("Digits", "1")]),
    w("/twilio/voice?turn=3", "turn:3", &[("Digits", "2")]),
    w("/twilio/voice?turn=4", "turn:4", &[("Digits", "212")]),
    w("/twilio/voice?turn=5", "turn:5", &[("Digits", "1")]),
    w("/twilio/voice?turn=6", "turn:6", &[("Digits", "4")]),
    w(
        "/twilio/voice?turn=7",
        "turn:7",
        &[("RecordingUrl", "https://api.twilio.com/r/RE1"), ("RecordingDuration", "9")],
    ),
    w("/twilio/status", "status:completed", &[("CallStatus", "completed"), ("CallDuration", "60")]),
];

/// One webhook of the script, before it is prepared for a target.
struct Webhook {
    path: &'static str,
    dedupe_key: &'static str,
    form: &'static [(&'static str, &'static str)],
}

const fn w(path: &'static str, dedupe_key: &'static str, form: &'static [(&'static str, &'static str)]) -> Webhook {
    Webhook { path, dedupe_key, form }
}

/// Steps before this one are answered with the next question: it sends
/// the voice message, answered with thanks and a hang-up.
const LAST_QUESTION_ANSWERED: usize = 7;

/// Webhooks in one call.
pub const WEBHOOKS_PER_CALL: usize = STEPS.len();

/// One webhook, ready to send for any call.
#[derive(Debug, Clone)]
pub struct Step {
    /// Where the request goes (origin form: path and query).
    pub uri: Uri,
    /// What the server's turn is recorded under (`turn:N`, `status:completed`).
    pub dedupe_key: &'static str,
    /// The URL the signature covers.
    signed_url: String,
    /// `&Name=value…` after the call's common parameters, form-encoded.
    extra_body: String,
    /// Every parameter, sorted by name, as the signature takes them.
    sorted: Vec<(&'static str, Value)>,
    /// The caller is still being asked questions after this step, so an
    /// answer that hangs up (an apology, the spool's "we have your
    /// number") is a failure though it came with status 200.
    asks_on: bool,
}

impl Step {
    /// Whether `answer` is what a caller at this step should hear.
    pub fn accepts(&self, answer: &[u8]) -> bool {
        !(self.asks_on && answer.windows(HANGUP.len()).any(|w| w == HANGUP))
    }
}

const HANGUP: &[u8] = b"<Hangup";

/// One call's own values.
#[derive(Debug, Clone)]
pub struct CallValues {
    pub call_sid: String,
    caller: String,
    /// The common parameters, form-encoded.
    body: String,
}

impl CallValues {
    /// Call `n` of run `run_id`; callers get made-up numbers in the
    /// `+9110…` range, one per call.
    pub fn new(run_id: &str, n: usize) -> Self {
        let call_sid = format!("CA{run_id}{n:012}");
        let caller = format!("+9110{:08}", n % 100_000_000);
        let pairs = COMMON.map(|(name, value)| (name, resolve(value, &call_sid, &caller)));
        Self { body: form_encode(&pairs), call_sid, caller }
    }
}

fn form_encode(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).expect("string pairs always encode")
}

fn resolve<'a>(value: Value, call_sid: &'a str, caller: &'a str) -> &'a str {
    match value {
        Value::Fixed(text) => text,
        Value::CallSid => call_sid,
        Value::Caller => caller,
    }
}

/// The script, prepared for one target: a path prefix (from `--target`)
/// and the public URL the server checks signatures against.
pub fn steps(path_prefix: &str, public_url: &str) -> Result<Vec<Step>, hyper::http::uri::InvalidUri> {
    STEPS
        .iter()
        .enumerate()
        .map(|(at, &Webhook { path, dedupe_key, form: extra })| {
            let mut extra_body = String::new();
            for pair in extra {
                extra_body.push('&');
                extra_body.push_str(&form_encode(&[*pair]));
            }
            let mut sorted: Vec<(&'static str, Value)> = COMMON.to_vec();
            sorted.extend(extra.iter().map(|(name, value)| (*name, Value::Fixed(value))));
            sorted.sort_by_key(|(name, _)| *name);
            Ok(Step {
                uri: format!("{path_prefix}{path}").parse()?,
                dedupe_key,
                signed_url: format!("{public_url}{path}"),
                extra_body,
                sorted,
                asks_on: at < LAST_QUESTION_ANSWERED,
            })
        })
        .collect()
}

/// Signs as Twilio does (`gateway::twilio::sign`), from an HMAC already
/// keyed with the token: HMAC-SHA1 over the URL, then each parameter's name
/// and value in name order, Base64-encoded.
#[derive(Clone)]
pub struct Signer(Hmac<Sha1>);

impl Signer {
    pub fn new(token: &str) -> Self {
        Self(Hmac::new_from_slice(token.as_bytes()).expect("HMAC takes keys of any length"))
    }

    pub fn sign(&self, step: &Step, call: &CallValues) -> HeaderValue {
        let mut mac = self.0.clone();
        mac.update(step.signed_url.as_bytes());
        for (name, value) in &step.sorted {
            mac.update(name.as_bytes());
            mac.update(resolve(*value, &call.call_sid, &call.caller).as_bytes());
        }
        let signature = STANDARD.encode(mac.finalize().into_bytes());
        HeaderValue::from_maybe_shared(Bytes::from(signature)).expect("Base64 is a valid header value")
    }
}

/// The form body of `step` for `call`.
pub fn body(step: &Step, call: &CallValues) -> Bytes {
    let mut body = String::with_capacity(call.body.len() + step.extra_body.len());
    body.push_str(&call.body);
    body.push_str(&step.extra_body);
    Bytes::from(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_is_signed_exactly_as_the_gateway_checks() {
        let steps = steps("", "https://sampark.test").unwrap();
        let call = CallValues::new("0badcafe", 7);
        let signer = Signer::new("a-token");
        for step in &steps {
            let body = body(step, &call);
            let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).unwrap();
            let expected = crate::gateway::twilio::sign("a-token", &step.signed_url, &form);
            assert_eq!(signer.sign(step, &call).to_str().unwrap(), expected, "{}", step.uri);
        }
    }

    #[test]
    fn bodies_carry_the_call_and_the_step_form_encoded() {
        let steps = steps("/prefix", "http://x").unwrap();
        let call = CallValues::new("0badcafe", 42);
        let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body(&steps[7], &call)).unwrap();
        let get = |name: &str| form.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        assert_eq!(get("CallSid"), Some("CA0badcafe000000000042"));
        assert_eq!(get("From"), Some("+911000000042"));
        assert_eq!(get("RecordingUrl"), Some("https://api.twilio.com/r/RE1"));
        assert_eq!(steps[7].uri, "/prefix/twilio/voice?turn=7");
    }

    #[test]
    fn a_hang_up_before_the_voice_message_is_not_accepted() {
        let steps = steps("", "").unwrap();
        let apology = b"<Response><Say>Sorry</Say><Hangup/></Response>";
        let question = b"<Response><Gather action=\"/twilio/voice?turn=2\"><Say>Hi</Say></Gather></Response>";
        assert!(steps[..7].iter().all(|s| !s.accepts(apology) && s.accepts(question)));
        assert!(steps[7..].iter().all(|s| s.accepts(apology)));
    }

    #[test]
    fn each_step_names_the_turn_the_server_records() {
        let keys: Vec<&str> = steps("", "").unwrap().iter().map(|s| s.dedupe_key).collect();
        assert_eq!(
            keys,
            ["turn:0", "turn:1", "turn:2", "turn:3", "turn:4", "turn:5", "turn:6", "turn:7", "status:completed"]
        );
    }
}
