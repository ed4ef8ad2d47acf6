//! The CSV the API writes. Councils open it in a spreadsheet, so no cell may be read there as a
//! formula: a learner named `=HYPERLINK(...)` must stay a name (OWASP's CSV injection).

use std::borrow::Cow;

use actix_web::HttpResponse;

use crate::error::ApiError;

/// A CSV table under construction: a header row, then rows, every cell neutralised.
pub struct Table {
    writer: csv::Writer<Vec<u8>>,
}

impl Table {
    pub fn with_header(columns: &[&str]) -> Result<Self, ApiError> {
        let mut table = Self {
            writer: csv::Writer::from_writer(Vec::new()),
        };
        table.row(columns)?;
        Ok(table)
    }

    pub fn row<S: AsRef<str>>(
        &mut self,
        cells: impl IntoIterator<Item = S>,
    ) -> Result<(), ApiError> {
        self.writer
            .write_record(
                cells
                    .into_iter()
                    .map(|cell| neutralised(cell.as_ref()).into_owned()),
            )
            .map_err(|e| ApiError::Internal(e.to_string()))
    }

    pub fn into_response(self) -> Result<HttpResponse, ApiError> {
        let body = self
            .writer
            .into_inner()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(body))
    }
}

/// OWASP's advice: a cell that begins with `=`, `+`, `-` or `@` (a formula to a spreadsheet),
/// or with a tab or carriage return (which can hide one), gets a leading single quote, which
/// spreadsheets show as text and do not evaluate.
fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_everything_else_is_left_alone() {
        for formula in [
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1+1",
            "\r=1+1",
        ] {
            assert_eq!(neutralised(formula), format!("'{formula}"));
        }
        for text in ["Adult Social Care", "O'Brien", "", "4.50", "a=b"] {
            assert_eq!(neutralised(text), text);
        }
    }
}
