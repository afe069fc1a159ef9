//! What a user logs in with: an email address or a Kazakhstan mobile number.
//!
//! Both normalise to one canonical spelling, so that "+7 (701) 123-45-67", "87011234567" and
//! "+77011234567" are the same login, and "Anna@Example.KZ" and "anna@example.kz" too. Logins are
//! unique platform-wide; the store enforces that on the canonical spelling.

use std::fmt;

/// The longest email address accepted (RFC 5321 path limit).
pub const EMAIL_LENGTH_MAX: usize = 254;
/// The longest local part (before '@') accepted (RFC 5321).
pub const EMAIL_LOCAL_LENGTH_MAX: usize = 64;

/// An email address, lower-cased. Checked for shape only: whether it receives mail is proven by
/// the codes sent to it, not by syntax.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email address is empty")]
    Empty,
    #[error("the email address is longer than {EMAIL_LENGTH_MAX} characters")]
    TooLong,
    #[error("an email address has exactly one '@' with text on both sides")]
    Shape,
    #[error("the part before '@' is longer than {EMAIL_LOCAL_LENGTH_MAX} characters")]
    LocalTooLong,
    #[error("the email address may not contain {0:?}")]
    InvalidCharacter(char),
    #[error("the domain after '@' must be like example.kz (letters, digits, hyphens, dots)")]
    Domain,
}

impl EmailError {
    pub fn code(&self) -> &'static str {
        "invalid_email"
    }
}

impl Email {
    pub fn parse(input: &str) -> Result<Email, EmailError> {
        let text = input.trim().to_lowercase();
        if text.is_empty() {
            return Err(EmailError::Empty);
        }
        if text.chars().count() > EMAIL_LENGTH_MAX {
            return Err(EmailError::TooLong);
        }
        if let Some(bad) = text.chars().find(|c| {
            c.is_whitespace()
                || c.is_control()
                || matches!(c, '<' | '>' | ',' | ';' | '"' | '(' | ')' | '[' | ']' | '\\')
        }) {
            return Err(EmailError::InvalidCharacter(bad));
        }
        let (local, domain) = text.split_once('@').ok_or(EmailError::Shape)?;
        if local.is_empty() || domain.is_empty() || domain.contains('@') {
            return Err(EmailError::Shape);
        }
        if local.chars().count() > EMAIL_LOCAL_LENGTH_MAX {
            return Err(EmailError::LocalTooLong);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(EmailError::Domain);
        }
        Ok(Email(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The first two digits of Kazakhstan's mobile ranges (70x, 747, 75x, 76x, 77x). Landline area
/// codes (71x Astana and the north, 72x Almaty and the south) share the +7 7 prefix and cannot
/// receive SMS.
const KAZAKHSTAN_MOBILE_PREFIXES: [&str; 5] = ["70", "74", "75", "76", "77"];

/// A Kazakhstan mobile number in E.164 form, `+77xxxxxxxxx`. Verification codes go to it by SMS
/// so only numbers of Kazakhstan's mobile ranges are accepted; other +7 numbers belong
/// to Russia's plan or to landlines.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MobileNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileNumberError {
    #[error("the mobile number is empty")]
    Empty,
    #[error("the mobile number may contain digits, spaces, '-', '(', ')' and a leading '+'; found {0:?}")]
    InvalidCharacter(char),
    #[error("a Kazakhstan mobile number has 10 digits after +7 (e.g. +7 701 123 45 67)")]
    WrongLength,
    #[error("not a Kazakhstan mobile number (+7 70x, 747, 75x, 76x or 77x)")]
    NotKazakhstanMobile,
}

impl MobileNumberError {
    pub fn code(&self) -> &'static str {
        "invalid_mobile_number"
    }
}

impl MobileNumber {
    /// Accepts `+7 701 123 45 67`, `+7 (701) 123-45-67`, `87011234567` (domestic trunk prefix 8),
    /// `77011234567` and `7011234567`; all become `+77011234567`.
    pub fn parse(input: &str) -> Result<MobileNumber, MobileNumberError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(MobileNumberError::Empty);
        }
        let (plus, rest) = match text.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if let Some(bad) = rest.chars().find(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))) {
            return Err(MobileNumberError::InvalidCharacter(bad));
        }
        let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
        let national = match (plus, digits.len()) {
            (true, 11) if digits.starts_with('7') => &digits[1..],
            (true, _) => {
                return Err(if digits.starts_with('7') {
                    MobileNumberError::WrongLength
                } else {
                    MobileNumberError::NotKazakhstanMobile
                });
            }
            (false, 11) if digits.starts_with('8') || digits.starts_with('7') => &digits[1..],
            (false, 10) => &digits[..],
            (false, _) => return Err(MobileNumberError::WrongLength),
        };
        debug_assert_eq!(national.len(), 10);
        if !KAZAKHSTAN_MOBILE_PREFIXES.iter().any(|prefix| national.starts_with(prefix)) {
            return Err(MobileNumberError::NotKazakhstanMobile);
        }
        Ok(MobileNumber(format!("+7{national}")))
    }

    /// `+77011234567`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `+7 701 ••• •• 67`: what a message may show of the number (a code was sent to it).
    pub fn masked(&self) -> String {
        format!("+7 {} ••• •• {}", &self.0[2..5], &self.0[10..12])
    }
}

impl fmt::Display for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MobileNumber {
    /// Personal data stays out of logs: Debug shows the masked number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

/// A login as typed: an email address when it contains '@', otherwise a mobile number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Login {
    Email(Email),
    Mobile(MobileNumber),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Mobile(#[from] MobileNumberError),
}

impl LoginError {
    pub fn code(&self) -> &'static str {
        "invalid_login"
    }
}

impl Login {
    pub fn parse(input: &str) -> Result<Login, LoginError> {
        if input.contains('@') {
            Ok(Login::Email(Email::parse(input)?))
        } else {
            Ok(Login::Mobile(MobileNumber::parse(input)?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// every spelling of one mobile number is one login.
    #[test]
    fn r_2_1_7_mobile_spellings_normalise_to_one_login() {
        for spelling in
            ["+7 701 123 45 67", "+7 (701) 123-45-67", "87011234567", "77011234567", "7011234567", " +77011234567 "]
        {
            assert_eq!(
                MobileNumber::parse(spelling).map(|m| m.as_str().to_owned()),
                Ok("+77011234567".to_owned()),
                "{spelling}"
            );
        }
    }

    #[test]
    fn refuses_numbers_that_cannot_receive_our_sms() {
        assert_eq!(MobileNumber::parse(""), Err(MobileNumberError::Empty));
        assert_eq!(
            MobileNumber::parse("+7 727 123 45 67"),
            Err(MobileNumberError::NotKazakhstanMobile),
            "Almaty landline"
        );
        assert_eq!(
            MobileNumber::parse("+7 916 123 45 67"),
            Err(MobileNumberError::NotKazakhstanMobile),
            "Russian mobile"
        );
        assert_eq!(MobileNumber::parse("+44 7700 900123"), Err(MobileNumberError::NotKazakhstanMobile));
        assert_eq!(MobileNumber::parse("+7 701 123 45"), Err(MobileNumberError::WrongLength));
        assert_eq!(MobileNumber::parse("701-123-45-6x"), Err(MobileNumberError::InvalidCharacter('x')));
        assert_eq!(MobileNumber::parse("+7701+1234567"), Err(MobileNumberError::InvalidCharacter('+')));
    }

    #[test]
    fn masks_personal_data_in_debug() {
        let mobile = MobileNumber::parse("+77011234567").unwrap();
        assert_eq!(mobile.masked(), "+7 701 ••• •• 67");
        assert!(!format!("{mobile:?}").contains("1234567"));
    }

    #[test]
    fn emails_normalise_and_refuse_bad_shapes() {
        assert_eq!(
            Email::parse(" Anna.Buh@Example.KZ ").map(|e| e.as_str().to_owned()),
            Ok("anna.buh@example.kz".to_owned())
        );
        assert_eq!(
            Email::parse("бухгалтер@пример.қаз").map(|e| e.as_str().to_owned()),
            Ok("бухгалтер@пример.қаз".to_owned())
        );
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        assert_eq!(Email::parse("anna"), Err(EmailError::Shape));
        assert_eq!(Email::parse("a@b@c.kz"), Err(EmailError::Shape));
        assert_eq!(Email::parse("anna@kz"), Err(EmailError::Domain));
        assert_eq!(Email::parse("anna@-x.kz"), Err(EmailError::Domain));
        assert_eq!(Email::parse("an na@x.kz"), Err(EmailError::InvalidCharacter(' ')));
        assert_eq!(Email::parse(&format!("{}@x.kz", "a".repeat(65))), Err(EmailError::LocalTooLong));
    }

    /// the login form takes either.
    #[test]
    fn r_2_1_7_login_is_email_or_mobile() {
        assert!(matches!(Login::parse("anna@example.kz"), Ok(Login::Email(_))));
        assert!(matches!(Login::parse("8 701 123 45 67"), Ok(Login::Mobile(_))));
        assert!(matches!(Login::parse("anna@"), Err(LoginError::Email(_))));
    }

    proptest! {
        #[test]
        fn every_kazakhstan_mobile_round_trips(second in proptest::sample::select(vec![0_u8, 4, 5, 6, 7]), rest in 0_u64..100_000_000) {
            let canonical = format!("+77{second}{rest:08}");
            let parsed = MobileNumber::parse(&canonical).unwrap();
            prop_assert_eq!(parsed.as_str(), canonical.as_str());
            let domestic = format!("87{second}{rest:08}");
            prop_assert_eq!(MobileNumber::parse(&domestic).unwrap(), parsed);
        }

        #[test]
        fn parsers_never_panic(text in "\\PC{0,40}") {
            let _ = Login::parse(&text);
        }
    }
}
