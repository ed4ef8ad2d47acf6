use std::fmt;

/// One thing wrong with one input field, reported back to the client as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Why the council's rules refuse a command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input names values the rules do not accept (one entry per field).
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// The input is fine, but the resource's current state does not allow the command.
    #[error("{0}")]
    Conflict(String),
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl DomainError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }

    /// A refused state transition that says which actions the current state allows.
    pub fn transition<S: fmt::Display>(
        resource: &str,
        from: S,
        action: &str,
        allowed_from: &[S],
    ) -> Self {
        let allowed = allowed_from
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        Self::Conflict(format!(
            "cannot {action} a {from} {resource}; {action} is allowed only from: {allowed}"
        ))
    }
}

/// Collects field errors so a client hears about every bad field at once, not one per request.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Keeps the value when it parsed, remembering the error otherwise.
    pub fn take<T>(&mut self, result: Result<T, DomainError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    pub fn push(&mut self, error: DomainError) {
        match error {
            DomainError::Invalid(fields) => self.0.extend(fields),
            DomainError::Conflict(message) => self.0.push(FieldError {
                field: String::new(),
                message,
            }),
        }
    }

    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.push(DomainError::invalid(field, message));
        }
    }

    pub fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.0))
        }
    }

    /// The value built from the fields that parsed, or every error met on the way.
    pub fn finish<T>(self, value: Option<T>) -> Result<T, DomainError> {
        self.into_result()?;
        value.ok_or_else(|| DomainError::invalid("", "incomplete input"))
    }
}

/// Declares a closed set of values, each with its one spelling on the wire, in the contract and
/// in storage.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[cfg_attr(feature = "sea-orm", derive(sea_orm::DeriveValueType),
            sea_orm(value_type = "String"))]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        // Lets a vocabulary be part of a composite primary key.
        #[cfg(feature = "sea-orm")]
        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::DomainError;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::DomainError::invalid(
                        stringify!($name),
                        format!("must be one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_transition_names_the_states_it_is_allowed_from() {
        let error = DomainError::transition("course", "retired", "publish", &["draft"]);
        assert_eq!(
            error.to_string(),
            "cannot publish a retired course; publish is allowed only from: draft"
        );
    }

    #[test]
    fn errors_gather_every_bad_field() {
        let mut errors = Errors::default();
        errors.check(false, "email", "is not an email address");
        errors.check(true, "title", "never reported");
        errors.check(false, "code", "is too long");
        let Err(DomainError::Invalid(fields)) = errors.into_result() else {
            panic!("expected invalid")
        };
        assert_eq!(
            fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["email", "code"]
        );
    }
}
