use crate::DomainError;

/// Trims free text and refuses it when empty or longer than `max` characters.
pub fn required(field: &str, raw: &str, max: usize) -> Result<String, DomainError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    within(field, text, max)
}

/// Like [`required`], but an absent or blank value is simply absent.
pub fn optional(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, DomainError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => within(field, text, max).map(Some),
    }
}

fn within(field: &str, text: &str, max: usize) -> Result<String, DomainError> {
    if text.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(DomainError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// An email address, stored lower-cased so that uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
            })
            && !email.chars().any(|c| c.is_whitespace() || c.is_control());
        valid.then_some(Self(email)).ok_or(DomainError::invalid(
            "email",
            "must be an email address like name@council.gov.uk",
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A list of short names (committees, responsibilities): trimmed, blank-free, without repeats.
pub fn name_list(field: &str, raw: &[String], max_len: usize) -> Result<Vec<String>, DomainError> {
    let mut names: Vec<String> = Vec::with_capacity(raw.len());
    for name in raw {
        let name = required(field, name, max_len)?;
        if !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lower_cased_and_trimmed() {
        assert_eq!(
            Email::parse("  Ada.Lovelace@Council.GOV.uk ").map(|e| e.0),
            Ok("ada.lovelace@council.gov.uk".into())
        );
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ada",
            "ada@",
            "@council.gov.uk",
            "ada@council",
            "ada@.uk",
            "ada @council.gov.uk",
            "a@b@c.uk",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn required_text_refuses_blank_and_overlong_values() {
        assert!(required("title", "   ", 10).is_err());
        assert!(required("title", "12345678901", 10).is_err());
        assert_eq!(required("title", " GDPR ", 10), Ok("GDPR".into()));
    }

    #[test]
    fn optional_text_treats_blank_as_absent() {
        assert_eq!(optional("ward", Some("  "), 10), Ok(None));
        assert_eq!(optional("ward", None, 10), Ok(None));
    }

    #[test]
    fn name_lists_drop_repeats_ignoring_case() {
        let raw = vec![
            "Planning".to_owned(),
            "planning".to_owned(),
            " Licensing ".to_owned(),
        ];
        assert_eq!(
            name_list("committees", &raw, 50),
            Ok(vec!["Planning".to_owned(), "Licensing".to_owned()])
        );
    }
}
