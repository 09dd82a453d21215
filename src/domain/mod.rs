//! Domain newtypes shared by the flow engine, the gateways and the store.
//!
//! Every type here is parsed once at the edge ("parse, don't validate") and is
//! valid by construction afterwards. Phone numbers never print in full.

mod call_id;
mod codes;
mod digits;
mod language;
mod need;
mod phone;
mod secret;
mod sql;

pub use call_id::{CallId, CallIdError};
pub use codes::{CodeError, DistrictCode, StateCode};
pub use digits::{Digits, DigitsError};
pub use language::{Language, LanguageError};
pub use need::{Need, NeedError};
pub use phone::PhoneNumber;
pub use secret::Secret;
