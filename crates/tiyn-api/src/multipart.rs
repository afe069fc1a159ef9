//! Upload forms (`multipart/form-data`, RFC 7578), read with `multer`, the parser behind axum's
//! own `Multipart`: how a browser uploads a file from a form without script. The cabinet's upload
//! forms (the payment import, the National Bank's rates file) carry their `_csrf` field first,
//! which the authorization middleware reads like a urlencoded form's; the handler reads the rest.
//!
//! The body is already in memory (the middleware bounds its size), so it is read whole into its
//! parts, at most [`PARTS_MAX`] of them.

use axum::body::Bytes;

/// The most parts one form may have: the cabinet's upload forms have up to six.
pub const PARTS_MAX: usize = 16;

/// One field of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub name: String,
    /// The file's name, for a file part.
    pub filename: Option<String>,
    pub data: Bytes,
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
    let kind = content_type.split(';').next().unwrap_or_default().trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    multer::parse_boundary(content_type).ok().filter(|boundary| !boundary.is_empty())
}

/// The parts of `body`, in order.
pub async fn parts(body: Bytes, boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let whole = futures_util::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(body) });
    let mut form = multer::Multipart::new(whole, boundary);
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.map_err(|_| MultipartError::Malformed)? {
        if parts.len() == PARTS_MAX {
            return Err(MultipartError::TooManyParts);
        }
        let name = field.name().ok_or(MultipartError::Malformed)?.to_owned();
        let filename = field.file_name().map(str::to_owned);
        let data = field.bytes().await.map_err(|_| MultipartError::Malformed)?;
        parts.push(Part { name, filename, data });
    }
    Ok(parts)
}

/// The text of the field `name`, if it is there and UTF-8.
pub fn text_field<'p>(parts: &'p [Part], name: &str) -> Option<&'p str> {
    parts.iter().find(|part| part.name == name).and_then(|part| std::str::from_utf8(&part.data).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntoken-1\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"rates.xml\"\r\nContent-Type: text/xml\r\n\r\n\
<rates>\r\n--Xy</rates>\r\n--XyZ--\r\n";

    async fn read(body: &'static [u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
        parts(Bytes::from_static(body), boundary).await
    }

    #[tokio::test]
    async fn a_browsers_upload_reads_field_by_field() {
        assert_eq!(boundary("multipart/form-data; boundary=XyZ").as_deref(), Some("XyZ"));
        assert_eq!(boundary("multipart/form-data; charset=utf-8; boundary=\"a b\"").as_deref(), Some("a b"));
        assert_eq!(boundary("application/x-www-form-urlencoded"), None);
        assert_eq!(boundary("multipart/mixed; boundary=XyZ"), None, "a form is form-data");
        let parts = read(BODY, "XyZ").await.expect("read");
        assert_eq!(parts.len(), 2);
        assert_eq!(text_field(&parts, "_csrf"), Some("token-1"));
        assert_eq!(parts[1].filename.as_deref(), Some("rates.xml"));
        assert_eq!(&parts[1].data[..], b"<rates>\r\n--Xy</rates>", "a partial delimiter inside a file is content");
    }

    #[tokio::test]
    async fn broken_bodies_are_refused() {
        assert_eq!(read(b"no delimiter", "XyZ").await, Err(MultipartError::Malformed));
        assert_eq!(
            read(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated", "XyZ").await,
            Err(MultipartError::Malformed)
        );
        assert_eq!(read(b"--XyZ\r\nX: y\r\n\r\nv\r\n--XyZ--", "XyZ").await, Err(MultipartError::Malformed));
        let many: Vec<u8> = (0..=PARTS_MAX)
            .flat_map(|n| format!("--b\r\nContent-Disposition: form-data; name=\"f{n}\"\r\n\r\nv\r\n").into_bytes())
            .chain(b"--b--\r\n".iter().copied())
            .collect();
        assert_eq!(parts(Bytes::from(many), "b").await, Err(MultipartError::TooManyParts));
    }
}
