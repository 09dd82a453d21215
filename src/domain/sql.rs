//! The domain types as database values, on both backends: codes as the
//! `INTEGER`/`BIGINT` columns they are stored in, call ids as text. Reading
//! checks a value as parsing does, so a bad stored value is a decode error
//! (`StoreError::Corrupt`, see `crate::db`), never a panic and never a
//! value that slipped past the type.

use sqlx::{Database, Decode, Encode, Type, encode::IsNull, error::BoxDynError};

use super::{CallId, DistrictCode, StateCode};

/// Stores `$ty` as an `i64` column, read back through `TryFrom<i64>`.
macro_rules! stored_as_i64 {
    ($ty:ty) => {
        impl<DB: Database> Type<DB> for $ty
        where
            i64: Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <i64 as Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <i64 as Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: Database> Encode<'q, DB> for $ty
        where
            i64: Encode<'q, DB>,
        {
            fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <i64 as Encode<'q, DB>>::encode(i64::from(*self), buf)
            }
        }

        impl<'r, DB: Database> Decode<'r, DB> for $ty
        where
            i64: Decode<'r, DB>,
        {
            fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok(Self::try_from(<i64 as Decode<'r, DB>>::decode(value)?)?)
            }
        }
    };
}

stored_as_i64!(StateCode);
stored_as_i64!(DistrictCode);

impl<DB: Database> Type<DB> for CallId
where
    String: Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as Type<DB>>::type_info()
    }

    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as Type<DB>>::compatible(ty)
    }
}

impl<'q, DB: Database> Encode<'q, DB> for CallId
where
    String: Encode<'q, DB>,
{
    fn encode_by_ref(&self, buf: &mut <DB as Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <String as Encode<'q, DB>>::encode_by_ref(&self.as_str().to_owned(), buf)
    }
}

impl<'r, DB: Database> Decode<'r, DB> for CallId
where
    &'r str: Decode<'r, DB>,
{
    fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self::parse(<&'r str as Decode<'r, DB>>::decode(value)?)?)
    }
}
