//! The request headers that mean the same on every operation that takes them, declared once
//! for the contract; [`crate::openapi`] adds the pattern each is checked against.

use utoipa::IntoParams;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::{Required, Type, schema::ObjectBuilder};

/// A header parameter for an operation's annotation: `params(IfMatch)`.
macro_rules! header {
    ($(#[doc = $doc:literal])* $name:ident = $header:literal, $required:ident, $description:literal) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                vec![parameter($header, Required::$required, $description)]
            }
        }
    };
}

header! {
    /// A change that must not overwrite another: 428 without it, 412 when stale.
    IfMatch = "If-Match", True, "The ETag from the resource's last read, or `*`"
}
header! {
    /// An action that checks the version only when the client sends it.
    OptionalIfMatch = "If-Match", False, "Optionally, the ETag from the resource's last read"
}
header! {
    /// A write that must create, not replace: `*`.
    IfNoneMatch = "If-None-Match", False, "`*`: only if there is no such document yet"
}
header! {
    /// A write a client may retry without doing it twice.
    IdempotencyKey = "Idempotency-Key", False,
    "Any unique string of up to 255 characters: a retry with the same key gets the first answer"
}
header! {
    /// Every request to the LRS names the xAPI version it speaks.
    XapiVersion = "X-Experience-API-Version", True, "The xAPI version the client speaks: 1.0.3"
}

fn parameter(name: &str, required: Required, description: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(required)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}
