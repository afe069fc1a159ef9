//! Which language a page is rendered in: `?lang=` (which also remembers the choice in the `lang`
//! cookie), then the cookie, then `Accept-Language`, then Russian.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use tiyn_api::Lang;

/// How long the language choice is remembered: a year, so that a person chooses once.
pub const LANG_COOKIE_MAX_AGE_SECONDS: u32 = 365 * 24 * 60 * 60;
pub const LANG_COOKIE: &str = "lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLang {
    pub lang: Lang,
    /// The request chose the language with `?lang=`: the response sets the cookie.
    pub chosen: bool,
}

impl PageLang {
    pub fn from_headers(query: Option<&str>, headers: &HeaderMap) -> PageLang {
        if let Some(lang) = query.and_then(|query| query_value(query, LANG_COOKIE)).and_then(Lang::parse) {
            return PageLang { lang, chosen: true };
        }
        let from_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|cookies| cookie_value(cookies, LANG_COOKIE))
            .and_then(Lang::parse);
        let from_accept = || {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|value| value.to_str().ok())
                .and_then(Lang::from_accept_language)
        };
        let lang = from_cookie.or_else(from_accept).unwrap_or(Lang::DEFAULT);
        PageLang { lang, chosen: false }
    }

    /// The `Set-Cookie` value that remembers the choice. Not `Secure`-only: the language is not a
    /// secret, and the demo runs on plain HTTP; `HttpOnly` because no script needs it.
    pub fn cookie(&self) -> String {
        format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age={LANG_COOKIE_MAX_AGE_SECONDS}; SameSite=Lax; HttpOnly",
            self.lang.code()
        )
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<PageLang, Self::Rejection> {
        Ok(PageLang::from_headers(parts.uri.query(), &parts.headers))
    }
}

fn query_value<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
}

fn cookie_value<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    cookies.split(';').find_map(|pair| pair.trim().strip_prefix(name)?.strip_prefix('='))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn pick(query: Option<&str>, cookie: Option<&str>, accept: Option<&str>) -> PageLang {
        let mut headers = HeaderMap::new();
        if let Some(cookie) = cookie {
            headers.insert(header::COOKIE, HeaderValue::from_str(cookie).expect("ascii"));
        }
        if let Some(accept) = accept {
            headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(accept).expect("ascii"));
        }
        PageLang::from_headers(query, &headers)
    }

    #[test]
    fn query_beats_cookie_beats_accept_language() {
        assert_eq!(pick(Some("lang=en"), Some("lang=kk"), Some("ru")), PageLang { lang: Lang::En, chosen: true });
        assert_eq!(pick(None, Some("theme=dark; lang=kk"), Some("en")), PageLang { lang: Lang::Kk, chosen: false });
        assert_eq!(pick(None, None, Some("en-GB,en;q=0.9")), PageLang { lang: Lang::En, chosen: false });
        assert_eq!(pick(None, None, None), PageLang { lang: Lang::Ru, chosen: false });
        assert_eq!(pick(Some("lang=xx"), Some("lang=zz"), None), PageLang { lang: Lang::Ru, chosen: false });
        assert_eq!(pick(Some("a=1&lang=kk"), None, None).lang, Lang::Kk);
        assert_eq!(pick(None, Some("xlang=en"), None).lang, Lang::Ru);
    }
}
