//! The filters providers send to find a user before creating one (RFC 7644 s3.4.2.2):
//! equality on `userName`, `externalId` or `emails.value`. Any other filter is refused with
//! `invalidFilter` rather than answered wrongly.

use actix_web::http::StatusCode;
use pathway_persistence::scim::ScimFilter;

use super::ScimError;

pub(crate) fn parse(filter: &str) -> Result<ScimFilter, ScimError> {
    let refuse = |why: &str| {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidFilter"),
            format!("{why}; filters supported: userName, externalId or emails.value eq \"...\""),
        )
    };
    let filter = filter.trim();
    let (attribute, rest) = filter
        .split_once(char::is_whitespace)
        .ok_or_else(|| refuse("a filter is: attribute eq \"value\""))?;
    let (operator, value) = rest
        .trim_start()
        .split_once(char::is_whitespace)
        .ok_or_else(|| refuse("a filter is: attribute eq \"value\""))?;
    if !operator.eq_ignore_ascii_case("eq") {
        return Err(refuse(&format!("the operator {operator} is not supported")));
    }
    let value: String = serde_json::from_str(value.trim())
        .map_err(|_| refuse("the value must be a quoted string"))?;
    let attribute = attribute
        .strip_prefix("urn:ietf:params:scim:schemas:core:2.0:User:")
        .unwrap_or(attribute);
    match attribute.to_ascii_lowercase().as_str() {
        "username" => Ok(ScimFilter::UserName(value)),
        "externalid" => Ok(ScimFilter::ExternalId(value)),
        "emails.value" | "emails" => Ok(ScimFilter::Email(value)),
        _ => Err(refuse(&format!(
            "filtering on {attribute} is not supported"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equality_on_the_identifying_attributes() {
        assert_eq!(
            parse(r#"userName eq "amira.khan@council.gov.uk""#).ok(),
            Some(ScimFilter::UserName("amira.khan@council.gov.uk".into()))
        );
        assert_eq!(
            parse(r#"EXTERNALID Eq "a \"quoted\" id""#).ok(),
            Some(ScimFilter::ExternalId("a \"quoted\" id".into()))
        );
        assert_eq!(
            parse(r#"emails.value eq "a@b.c""#).ok(),
            Some(ScimFilter::Email("a@b.c".into()))
        );
    }

    #[test]
    fn anything_else_is_an_invalid_filter() {
        for bad in [
            r#"userName sw "a""#,
            r#"title eq "x""#,
            "userName eq unquoted",
            "userName",
            r#"userName eq "a" and active eq true"#,
        ] {
            let error = parse(bad).expect_err(bad);
            assert_eq!(error.scim_type, Some("invalidFilter"), "{bad}");
        }
    }
}
