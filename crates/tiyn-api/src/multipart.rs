//! A small reader of `multipart/form-data` bodies (RFC 7578): how a browser uploads a file from a
//! form without script. The cabinet's upload forms (the National Bank's rates file, R-13.2) carry
//! their `_csrf` field as the first part, which the authorization middleware reads like a
//! urlencoded form's; the handler reads the file part.
//!
//! Only what browsers send is read: parts delimited by `--boundary`, each with a
//! `Content-Disposition: form-data; name="…"[; filename="…"]` header. At most [`PARTS_MAX`]
//! parts; the caller bounds the body's size before.

/// The most parts one form may have: the cabinet's upload forms have two or three.
pub const PARTS_MAX: usize = 16;
/// The longest header block of one part.
const PART_HEADERS_BYTES_MAX: usize = 4 * 1024;

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<'b> {
    pub name: String,
    /// The file's name, for a file part.
    pub filename: Option<String>,
    pub data: &'b [u8],
}

/// Why a body is not a readable form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultipartError {
    /// The body is not `multipart/form-data` as its content type says.
    Malformed,
    /// More than [`PARTS_MAX`] parts.
    TooManyParts,
}

/// The boundary of a `multipart/form-data` content type; `None` for any other type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (kind, parameters) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parameters.split(';').find_map(|parameter| {
        let (key, value) = parameter.split_once('=')?;
        let value = value.trim().trim_matches('"');
        (key.trim().eq_ignore_ascii_case("boundary") && !value.is_empty() && value.len() <= 70)
            .then(|| value.to_owned())
    })
}

/// The parts of `body`, in order.
pub fn parts<'b>(body: &'b [u8], boundary: &str) -> Result<Vec<Part<'b>>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut rest = match find(body, delimiter) {
        Some(start) => &body[start + delimiter.len()..],
        None => return Err(MultipartError::Malformed),
    };
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or(MultipartError::Malformed)?;
        if parts.len() >= PARTS_MAX {
            return Err(MultipartError::TooManyParts);
        }
        let headers_end = find(rest, b"\r\n\r\n").ok_or(MultipartError::Malformed)?;
        if headers_end > PART_HEADERS_BYTES_MAX {
            return Err(MultipartError::Malformed);
        }
        let headers = std::str::from_utf8(&rest[..headers_end]).map_err(|_| MultipartError::Malformed)?;
        let content = &rest[headers_end + 4..];
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(delimiter);
        let end = find(content, &closing).ok_or(MultipartError::Malformed)?;
        let (name, filename) = disposition(headers).ok_or(MultipartError::Malformed)?;
        parts.push(Part { name, filename, data: &content[..end] });
        rest = &content[end + closing.len()..];
    }
}

/// The text of the part named `name`, when it is UTF-8.
pub fn text_field<'b>(parts: &[Part<'b>], name: &str) -> Option<&'b str> {
    parts.iter().find(|part| part.name == name).and_then(|part| std::str::from_utf8(part.data).ok())
}

/// `name` and `filename` of a part's `Content-Disposition: form-data` header.
fn disposition(headers: &str) -> Option<(String, Option<String>)> {
    let line = headers.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case("content-disposition").then_some(value)
    })?;
    let mut parameters = line.split(';');
    if !parameters.next()?.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    let (mut name, mut filename) = (None, None);
    for parameter in parameters {
        let Some((key, value)) = parameter.split_once('=') else { continue };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim() {
            "name" => name = Some(value),
            "filename" => filename = Some(value),
            _ => {}
        }
    }
    Some((name?, filename))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntoken-1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rates.xml\"\r\nContent-Type: text/xml\r\n\r\n\
<rates>\r\n--Xy</rates>\r\n--XyZ--\r\n";

    #[test]
    fn a_browsers_upload_reads_field_by_field() {
        assert_eq!(boundary("multipart/form-data; boundary=XyZ").as_deref(), Some("XyZ"));
        assert_eq!(boundary("multipart/form-data; charset=utf-8; boundary=\"a b\"").as_deref(), Some("a b"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        let parts = parts(BODY, "XyZ").expect("read");
        assert_eq!(parts.len(), 2);
        assert_eq!(text_field(&parts, "_csrf"), Some("token-1"));
        assert_eq!(parts[1].filename.as_deref(), Some("rates.xml"));
        assert_eq!(parts[1].data, b"<rates>\r\n--Xy</rates>", "a partial delimiter inside a file is content");
    }

    #[test]
    fn broken_bodies_are_refused() {
        assert_eq!(parts(b"no delimiter", "XyZ"), Err(MultipartError::Malformed));
        assert_eq!(
            parts(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated", "XyZ"),
            Err(MultipartError::Malformed)
        );
        assert_eq!(parts(b"--XyZ\r\nX: y\r\n\r\nv\r\n--XyZ--", "XyZ"), Err(MultipartError::Malformed));
        let many: Vec<u8> = (0..=PARTS_MAX)
            .flat_map(|n| format!("--b\r\nContent-Disposition: form-data; name=\"f{n}\"\r\n\r\nv\r\n").into_bytes())
            .chain(b"--b--".iter().copied())
            .collect();
        assert_eq!(parts(&many, "b"), Err(MultipartError::TooManyParts));
        assert_eq!(parts(b"--b--", "b"), Ok(Vec::new()));
    }
}
