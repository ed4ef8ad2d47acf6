//! multipart/mixed bodies (RFC 2046 s5.1), as xAPI sends statements with their attachments:
//! read on the way in, written on the way out.

/// One part: its headers (names in lower case) and its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub headers: Vec<(String, String)>,
    pub content: Vec<u8>,
}

impl Part {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The boundary a `multipart/mixed; boundary=...` content type names.
pub(crate) fn boundary(content_type: &str) -> Option<&str> {
    let (kind, parameters) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    parameters.split(';').find_map(|p| {
        let (name, value) = p.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
            .filter(|b| !b.is_empty())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of a body, in order; what precedes the first boundary and follows the last is
/// ignored, as RFC 2046 asks.
pub(crate) fn parts(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let start = find(body, &delimiter).ok_or("the body has no part")?;
    let mut rest = &body[start + delimiter.len()..];
    let closing = format!("\r\n--{boundary}").into_bytes();
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        // Transport padding, then the line break that ends the boundary line.
        let line_end = find(rest, b"\r\n").ok_or("a boundary line does not end")?;
        rest = &rest[line_end + 2..];
        let end = find(rest, &closing).ok_or("the body ends inside a part")?;
        let (headers, content) = match find(&rest[..end], b"\r\n\r\n") {
            Some(at) => (&rest[..at], &rest[at + 4..end]),
            // A part whose first line is empty has no headers.
            None if rest.starts_with(b"\r\n") => (&rest[..0], &rest[2..end]),
            None => (&rest[..end], &rest[end..end]),
        };
        let headers = std::str::from_utf8(headers)
            .map_err(|_| "a part's headers are not text")?
            .split("\r\n")
            .filter(|line| !line.is_empty())
            .map(|line| {
                let (name, value) = line.split_once(':').ok_or("a part's header has no colon")?;
                Ok((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            })
            .collect::<Result<_, &str>>()?;
        parts.push(Part {
            headers,
            content: content.to_vec(),
        });
        rest = &rest[end + closing.len()..];
    }
}

/// A body of these parts, each with its headers.
pub(crate) fn write(boundary: &str, parts: &[Part]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        for (name, value) in &part.headers {
            body.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&part.content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_read_as_xapi_clients_write_them() {
        let body = b"\r\n--xyz\r\nContent-Type:application/json\r\n\r\n[{}]\r\n--xyz\r\n\
            Content-Type: application/octet-stream\r\nX-Experience-API-Hash: ab\r\n\r\n\
            binary\r\n--\r\ndata\r\n--xyz--";
        let parts = parts(body, "xyz").expect("parts");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].header("content-type"), Some("application/json"));
        assert_eq!(parts[0].content, b"[{}]");
        assert_eq!(parts[1].header("x-experience-api-hash"), Some("ab"));
        assert_eq!(parts[1].content, b"binary\r\n--\r\ndata");
        assert_eq!(boundary("multipart/mixed; boundary=\"xyz\""), Some("xyz"));
        assert_eq!(boundary("application/json"), None);
        assert!(super::parts(b"--xyz\r\nContent-Type: a/b\r\n\r\nnever closed", "xyz").is_err());
    }

    #[test]
    fn what_is_written_is_read_back() {
        let written = vec![
            Part {
                headers: vec![("content-type".into(), "application/json".into())],
                content: b"{\"statements\": []}".to_vec(),
            },
            Part {
                headers: vec![("x-experience-api-hash".into(), "cd".into())],
                content: vec![0, 159, 146, 150],
            },
        ];
        let body = write("b0undary", &written);
        assert_eq!(parts(&body, "b0undary").expect("parts"), written);
    }
}
