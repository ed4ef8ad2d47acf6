//! The filters identity providers send (RFC 7644 s3.4.2.2), as far as Pathway answers them
//! exactly: `userName eq` or `sw`, `externalId eq`, `emails.value eq` (or
//! `emails[type eq "work"].value eq`, or `emails[type eq "work" and value eq "..."]`),
//! `meta.lastModified gt`, `ge`, `lt` or `le`, and any of them joined by `and`. Anything else
//! is refused with `invalidFilter`, naming what is supported, rather than answered wrongly.

use actix_web::http::StatusCode;
use chrono::{DateTime, Utc};
use pathway_persistence::scim::{Comparison, ScimFilter};

use super::ScimError;

const SUPPORTED: &str = "filters supported: userName eq or sw, externalId eq, emails.value eq, \
    emails[type eq \"...\"].value eq, meta.lastModified gt, ge, lt or le, joined by and";

const CORE_PREFIX: &str = "urn:ietf:params:scim:schemas:core:2.0:User:";

fn refuse(why: &str) -> ScimError {
    ScimError::new(
        StatusCode::BAD_REQUEST,
        Some("invalidFilter"),
        format!("{why}; {SUPPORTED}"),
    )
}

/// Every condition a user must meet.
pub(crate) fn parse(filter: &str) -> Result<Vec<ScimFilter>, ScimError> {
    let mut tokens = Tokens::read(filter)?;
    let conditions = conjunction(&mut tokens, term)?;
    match tokens.next() {
        None => Ok(conditions.into_iter().flatten().collect()),
        Some(Token::Word(word)) if word.eq_ignore_ascii_case("or") => {
            Err(refuse("or is not supported"))
        }
        Some(_) => Err(refuse("a filter is: attribute operator \"value\"")),
    }
}

/// The `type` a PATCH path such as `emails[type eq "work"].value` names, when it names one.
pub(crate) fn email_type_in_path(path: &str) -> Option<String> {
    let (_, rest) = path.split_once('[')?;
    let (inner, _) = rest.rsplit_once(']')?;
    let mut tokens = Tokens::read(inner).ok()?;
    let comparisons = conjunction(&mut tokens, comparison).ok()?;
    comparisons
        .into_iter()
        .find(|(attribute, _, _)| attribute.eq_ignore_ascii_case("type"))
        .map(|(_, _, value)| value.to_lowercase())
}

/// Terms joined by `and`.
fn conjunction<T>(
    tokens: &mut Tokens,
    mut term: impl FnMut(&mut Tokens) -> Result<T, ScimError>,
) -> Result<Vec<T>, ScimError> {
    let mut terms = vec![term(tokens)?];
    while tokens.next_is_word("and") {
        tokens.next();
        terms.push(term(tokens)?);
    }
    Ok(terms)
}

/// One comparison, or a value path on `emails`; each may stand for several conditions.
fn term(tokens: &mut Tokens) -> Result<Vec<ScimFilter>, ScimError> {
    let Some(Token::Word(attribute)) = tokens.peek().cloned() else {
        return Err(refuse("a filter is: attribute operator \"value\""));
    };
    let attribute = attribute
        .strip_prefix(CORE_PREFIX)
        .unwrap_or(&attribute)
        .to_ascii_lowercase();
    if tokens.peek_second() == Some(&Token::Open) {
        tokens.next();
        tokens.next();
        return email_path(tokens, &attribute);
    }
    let (_, operator, value) = comparison(tokens)?;
    let operator = operator.to_ascii_lowercase();
    let condition = match (attribute.as_str(), operator.as_str()) {
        ("username", "eq") => ScimFilter::UserName(value),
        ("username", "sw") => ScimFilter::UserNameStartsWith(value),
        ("externalid", "eq") => ScimFilter::ExternalId(value),
        ("emails.value" | "emails", "eq") => ScimFilter::Email { value, kind: None },
        ("meta.lastmodified", "gt" | "ge" | "lt" | "le") => {
            let at = DateTime::parse_from_rfc3339(&value)
                .map_err(|_| refuse("meta.lastModified is compared with a date and time"))?
                .with_timezone(&Utc);
            let comparison = match operator.as_str() {
                "gt" => Comparison::After,
                "ge" => Comparison::AtOrAfter,
                "lt" => Comparison::Before,
                _ => Comparison::AtOrBefore,
            };
            ScimFilter::LastModified(comparison, at)
        }
        ("username" | "externalid" | "emails.value" | "emails" | "meta.lastmodified", _) => {
            return Err(refuse(&format!(
                "the operator {operator} is not supported on {attribute}"
            )));
        }
        _ => {
            return Err(refuse(&format!(
                "filtering on {attribute} is not supported"
            )));
        }
    };
    Ok(vec![condition])
}

/// `emails[type eq "work" and value eq "..."]`, optionally followed by `.value eq "..."`: the
/// opening bracket has been read.
fn email_path(tokens: &mut Tokens, attribute: &str) -> Result<Vec<ScimFilter>, ScimError> {
    if attribute != "emails" {
        return Err(refuse(&format!(
            "filtering within {attribute} is not supported"
        )));
    }
    let mut kind = None;
    let mut values = Vec::new();
    for (sub, operator, value) in conjunction(tokens, comparison)? {
        if !operator.eq_ignore_ascii_case("eq") {
            return Err(refuse(&format!(
                "the operator {operator} is not supported within emails"
            )));
        }
        match sub.to_ascii_lowercase().as_str() {
            "type" => kind = Some(value),
            "value" => values.push(value),
            other => {
                return Err(refuse(&format!(
                    "filtering within emails on {other} is not supported"
                )));
            }
        }
    }
    if tokens.next() != Some(Token::Close) {
        return Err(refuse("emails[...] is missing its closing bracket"));
    }
    if let Some(Token::Word(sub)) = tokens.peek()
        && sub.starts_with('.')
    {
        if !sub.eq_ignore_ascii_case(".value") {
            return Err(refuse(&format!(
                "filtering on emails[...]{sub} is not supported"
            )));
        }
        let (_, operator, value) = comparison(tokens)?;
        if !operator.eq_ignore_ascii_case("eq") {
            return Err(refuse(&format!(
                "the operator {operator} is not supported on emails.value"
            )));
        }
        values.push(value);
    }
    if values.is_empty() {
        return Err(refuse(
            "say which address: emails[type eq \"work\"].value eq \"...\"",
        ));
    }
    Ok(values
        .into_iter()
        .map(|value| ScimFilter::Email {
            value,
            kind: kind.clone(),
        })
        .collect())
}

/// `attribute operator "value"`, as written.
fn comparison(tokens: &mut Tokens) -> Result<(String, String, String), ScimError> {
    let shape = || refuse("a filter is: attribute operator \"value\"");
    let Some(Token::Word(attribute)) = tokens.next() else {
        return Err(shape());
    };
    let Some(Token::Word(operator)) = tokens.next() else {
        return Err(shape());
    };
    match tokens.next() {
        Some(Token::Text(value)) => Ok((attribute, operator, value)),
        Some(Token::Word(_)) => Err(refuse("the value must be a quoted string")),
        _ => Err(shape()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An attribute path, an operator or `and`; `.value` after a closing bracket.
    Word(String),
    /// A quoted string, unescaped.
    Text(String),
    Open,
    Close,
}

struct Tokens(
    std::iter::Peekable<std::vec::IntoIter<Token>>,
    Option<Token>,
);

impl Tokens {
    fn read(filter: &str) -> Result<Self, ScimError> {
        let mut tokens = Vec::new();
        let mut rest = filter.trim_start();
        while let Some(first) = rest.chars().next() {
            let taken = match first {
                '[' => {
                    tokens.push(Token::Open);
                    1
                }
                ']' => {
                    tokens.push(Token::Close);
                    1
                }
                '(' | ')' => return Err(refuse("grouping with parentheses is not supported")),
                '"' => {
                    let end = closing_quote(rest)
                        .ok_or_else(|| refuse("a quoted value is not closed"))?;
                    let text = serde_json::from_str(&rest[..=end])
                        .map_err(|_| refuse("the value must be a quoted string"))?;
                    tokens.push(Token::Text(text));
                    end + 1
                }
                _ => {
                    let end = rest
                        .find(|c: char| c.is_whitespace() || "[]()\"".contains(c))
                        .unwrap_or(rest.len());
                    tokens.push(Token::Word(rest[..end].to_owned()));
                    end
                }
            };
            rest = rest[taken..].trim_start();
        }
        let mut tokens = tokens.into_iter().peekable();
        let first = tokens.next();
        Ok(Self(tokens, first))
    }

    fn next(&mut self) -> Option<Token> {
        std::mem::replace(&mut self.1, self.0.next())
    }

    fn peek(&self) -> Option<&Token> {
        self.1.as_ref()
    }

    fn peek_second(&mut self) -> Option<&Token> {
        self.0.peek()
    }

    fn next_is_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }
}

/// Where the string opening `text` with a quote ends, escapes skipped.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices().skip(1) {
        match (escaped, c) {
            (true, _) => escaped = false,
            (false, '\\') => escaped = true,
            (false, '"') => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email(value: &str, kind: Option<&str>) -> ScimFilter {
        ScimFilter::Email {
            value: value.into(),
            kind: kind.map(str::to_owned),
        }
    }

    #[test]
    fn equality_on_the_identifying_attributes() {
        assert_eq!(
            parse(r#"userName eq "amira.khan@council.gov.uk""#).ok(),
            Some(vec![ScimFilter::UserName(
                "amira.khan@council.gov.uk".into()
            )])
        );
        assert_eq!(
            parse(r#"EXTERNALID Eq "a \"quoted\" id""#).ok(),
            Some(vec![ScimFilter::ExternalId("a \"quoted\" id".into())])
        );
        assert_eq!(
            parse(r#"emails.value eq "a@b.c""#).ok(),
            Some(vec![email("a@b.c", None)])
        );
        assert_eq!(
            parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "amira""#).ok(),
            Some(vec![ScimFilter::UserNameStartsWith("amira".into())])
        );
    }

    #[test]
    fn an_email_of_a_type_as_entra_and_okta_ask_for_it() {
        for filter in [
            r#"emails[type eq "work"].value eq "a@b.c""#,
            r#"emails[type eq "work" and value eq "a@b.c"]"#,
            r#"emails[ type eq "work" ] .value eq "a@b.c""#,
        ] {
            assert_eq!(
                parse(filter).ok(),
                Some(vec![email("a@b.c", Some("work"))]),
                "{filter}"
            );
        }
        assert_eq!(
            email_type_in_path(r#"emails[type eq "Work"].value"#),
            Some("work".into())
        );
        assert_eq!(email_type_in_path("emails.value"), None);
        assert_eq!(email_type_in_path(r#"emails[value eq "a@b.c"]"#), None);
    }

    #[test]
    fn conditions_joined_by_and_and_changes_since_a_time() {
        let at: DateTime<Utc> = "2026-11-20T16:30:00Z".parse().expect("a time");
        assert_eq!(
            parse(
                r#"meta.lastModified gt "2026-11-20T16:30:00Z" and userName sw "a" AND externalId eq "x""#
            )
            .ok(),
            Some(vec![
                ScimFilter::LastModified(Comparison::After, at),
                ScimFilter::UserNameStartsWith("a".into()),
                ScimFilter::ExternalId("x".into()),
            ])
        );
        assert_eq!(
            parse(r#"meta.lastModified le "2026-11-20T17:30:00+01:00""#).ok(),
            Some(vec![ScimFilter::LastModified(Comparison::AtOrBefore, at)])
        );
    }

    #[test]
    fn anything_else_is_an_invalid_filter() {
        for bad in [
            r#"userName co "a""#,
            r#"title eq "x""#,
            "userName eq unquoted",
            "userName",
            r#"userName eq "a" or userName eq "b""#,
            r#"(userName eq "a")"#,
            r#"userName eq "a" and active eq true"#,
            r#"userName eq "a" and"#,
            r#"emails[type eq "work"]"#,
            r#"emails[type eq "work"].display eq "x""#,
            r#"emails[type eq "work".value eq "x""#,
            r#"name[givenName eq "x"]"#,
            r#"meta.lastModified gt "yesterday""#,
            r#"meta.lastModified eq "2026-11-20T16:30:00Z""#,
            r#"userName eq "never closed"#,
            "",
        ] {
            let error = parse(bad).expect_err(bad);
            assert_eq!(error.scim_type, Some("invalidFilter"), "{bad}");
        }
    }
}
