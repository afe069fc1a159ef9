//! The three text encodings of a 1C client-bank exchange file, decoded without a dependency.
//!
//! FACTS.md §8: "Encoding: `Кодировка=Windows` (cp1251) | `DOS` (cp866) | UTF-8", and the keys
//! list (`onec_clientbank_kz_keys.csv`) gives the header values `Windows`, `DOS`, `UTF-8`/`UTF8`.
//! Windows-1251 and cp866 are single-byte encodings whose lower half is ASCII, so each needs
//! only the table of its upper 128 bytes. The tables below were generated from Python's
//! `cp1251` and `cp866` codecs and are checked against files encoded by them
//! (`tests/testdata/one_c/`).
//!
//! Neither single-byte encoding has the Kazakh letters ә ғ қ ң ө ұ ү һ (Windows-1251 has only
//! і/І): a file with Kazakh names must be UTF-8.

use std::fmt;

/// A text encoding a 1C exchange file may declare in its `Кодировка` header key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// `Кодировка=Windows`: Windows-1251, what 1C on Windows writes by default.
    Windows1251,
    /// `Кодировка=DOS`: code page 866.
    Dos866,
    /// `Кодировка=UTF-8` (or `UTF8`).
    Utf8,
}

impl Encoding {
    pub const ALL: [Encoding; 3] = [Encoding::Windows1251, Encoding::Dos866, Encoding::Utf8];

    /// Reads the value of the `Кодировка` key, case-insensitively.
    pub fn from_declared(value: &str) -> Option<Encoding> {
        match value.trim().to_ascii_lowercase().as_str() {
            "windows" => Some(Encoding::Windows1251),
            "dos" => Some(Encoding::Dos866),
            "utf-8" | "utf8" => Some(Encoding::Utf8),
            _ => None,
        }
    }

    /// The name people know the encoding by, with the value the header uses for it.
    pub const fn name(self) -> &'static str {
        match self {
            Encoding::Windows1251 => "Windows-1251 (Кодировка=Windows)",
            Encoding::Dos866 => "cp866 (Кодировка=DOS)",
            Encoding::Utf8 => "UTF-8 (Кодировка=UTF-8)",
        }
    }

    /// Decodes one line, or says where the first byte that is not a character of this encoding
    /// is: its 1-based byte position in the line and its value.
    pub fn decode(self, bytes: &[u8]) -> Result<String, UndecodableByte> {
        match self {
            Encoding::Utf8 => std::str::from_utf8(bytes).map(str::to_owned).map_err(|error| {
                let position = error.valid_up_to();
                UndecodableByte { position: position + 1, byte: bytes[position] }
            }),
            Encoding::Windows1251 => decode_single_byte(bytes, &WINDOWS_1251_HIGH),
            Encoding::Dos866 => decode_single_byte(bytes, &CP866_HIGH),
        }
    }
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A byte that is not a character of the encoding (a malformed UTF-8 sequence, or 0x98 in
/// Windows-1251, the one byte that encoding leaves undefined).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndecodableByte {
    /// 1-based, in bytes from the start of the line.
    pub position: usize,
    pub byte: u8,
}

fn decode_single_byte(bytes: &[u8], high: &[Option<char>; 128]) -> Result<String, UndecodableByte> {
    let mut text = String::with_capacity(bytes.len() * 2);
    for (index, &byte) in bytes.iter().enumerate() {
        let character = if byte.is_ascii() { Some(char::from(byte)) } else { high[usize::from(byte - 0x80)] };
        match character {
            Some(character) => text.push(character),
            None => return Err(UndecodableByte { position: index + 1, byte }),
        }
    }
    debug_assert_eq!(text.chars().count(), bytes.len(), "a single-byte encoding gives one character per byte");
    Ok(text)
}

/// Windows-1251, bytes 0x80–0xFF. 0x98 is undefined.
#[rustfmt::skip]
const WINDOWS_1251_HIGH: [Option<char>; 128] = [
    Some('\u{0402}'), Some('\u{0403}'), Some('\u{201A}'), Some('\u{0453}'), Some('\u{201E}'), Some('\u{2026}'), Some('\u{2020}'), Some('\u{2021}'), // 0x80
    Some('\u{20AC}'), Some('\u{2030}'), Some('\u{0409}'), Some('\u{2039}'), Some('\u{040A}'), Some('\u{040C}'), Some('\u{040B}'), Some('\u{040F}'), // 0x88
    Some('\u{0452}'), Some('\u{2018}'), Some('\u{2019}'), Some('\u{201C}'), Some('\u{201D}'), Some('\u{2022}'), Some('\u{2013}'), Some('\u{2014}'), // 0x90
    None,             Some('\u{2122}'), Some('\u{0459}'), Some('\u{203A}'), Some('\u{045A}'), Some('\u{045C}'), Some('\u{045B}'), Some('\u{045F}'), // 0x98
    Some('\u{00A0}'), Some('\u{040E}'), Some('\u{045E}'), Some('\u{0408}'), Some('\u{00A4}'), Some('\u{0490}'), Some('\u{00A6}'), Some('\u{00A7}'), // 0xA0
    Some('\u{0401}'), Some('\u{00A9}'), Some('\u{0404}'), Some('\u{00AB}'), Some('\u{00AC}'), Some('\u{00AD}'), Some('\u{00AE}'), Some('\u{0407}'), // 0xA8
    Some('\u{00B0}'), Some('\u{00B1}'), Some('\u{0406}'), Some('\u{0456}'), Some('\u{0491}'), Some('\u{00B5}'), Some('\u{00B6}'), Some('\u{00B7}'), // 0xB0
    Some('\u{0451}'), Some('\u{2116}'), Some('\u{0454}'), Some('\u{00BB}'), Some('\u{0458}'), Some('\u{0405}'), Some('\u{0455}'), Some('\u{0457}'), // 0xB8
    Some('\u{0410}'), Some('\u{0411}'), Some('\u{0412}'), Some('\u{0413}'), Some('\u{0414}'), Some('\u{0415}'), Some('\u{0416}'), Some('\u{0417}'), // 0xC0 А
    Some('\u{0418}'), Some('\u{0419}'), Some('\u{041A}'), Some('\u{041B}'), Some('\u{041C}'), Some('\u{041D}'), Some('\u{041E}'), Some('\u{041F}'), // 0xC8
    Some('\u{0420}'), Some('\u{0421}'), Some('\u{0422}'), Some('\u{0423}'), Some('\u{0424}'), Some('\u{0425}'), Some('\u{0426}'), Some('\u{0427}'), // 0xD0
    Some('\u{0428}'), Some('\u{0429}'), Some('\u{042A}'), Some('\u{042B}'), Some('\u{042C}'), Some('\u{042D}'), Some('\u{042E}'), Some('\u{042F}'), // 0xD8
    Some('\u{0430}'), Some('\u{0431}'), Some('\u{0432}'), Some('\u{0433}'), Some('\u{0434}'), Some('\u{0435}'), Some('\u{0436}'), Some('\u{0437}'), // 0xE0 а
    Some('\u{0438}'), Some('\u{0439}'), Some('\u{043A}'), Some('\u{043B}'), Some('\u{043C}'), Some('\u{043D}'), Some('\u{043E}'), Some('\u{043F}'), // 0xE8
    Some('\u{0440}'), Some('\u{0441}'), Some('\u{0442}'), Some('\u{0443}'), Some('\u{0444}'), Some('\u{0445}'), Some('\u{0446}'), Some('\u{0447}'), // 0xF0
    Some('\u{0448}'), Some('\u{0449}'), Some('\u{044A}'), Some('\u{044B}'), Some('\u{044C}'), Some('\u{044D}'), Some('\u{044E}'), Some('\u{044F}'), // 0xF8
];

/// Code page 866, bytes 0x80–0xFF: Cyrillic, box drawing (0xB0–0xDF) and a few signs.
#[rustfmt::skip]
const CP866_HIGH: [Option<char>; 128] = [
    Some('\u{0410}'), Some('\u{0411}'), Some('\u{0412}'), Some('\u{0413}'), Some('\u{0414}'), Some('\u{0415}'), Some('\u{0416}'), Some('\u{0417}'), // 0x80 А
    Some('\u{0418}'), Some('\u{0419}'), Some('\u{041A}'), Some('\u{041B}'), Some('\u{041C}'), Some('\u{041D}'), Some('\u{041E}'), Some('\u{041F}'), // 0x88
    Some('\u{0420}'), Some('\u{0421}'), Some('\u{0422}'), Some('\u{0423}'), Some('\u{0424}'), Some('\u{0425}'), Some('\u{0426}'), Some('\u{0427}'), // 0x90
    Some('\u{0428}'), Some('\u{0429}'), Some('\u{042A}'), Some('\u{042B}'), Some('\u{042C}'), Some('\u{042D}'), Some('\u{042E}'), Some('\u{042F}'), // 0x98
    Some('\u{0430}'), Some('\u{0431}'), Some('\u{0432}'), Some('\u{0433}'), Some('\u{0434}'), Some('\u{0435}'), Some('\u{0436}'), Some('\u{0437}'), // 0xA0 а
    Some('\u{0438}'), Some('\u{0439}'), Some('\u{043A}'), Some('\u{043B}'), Some('\u{043C}'), Some('\u{043D}'), Some('\u{043E}'), Some('\u{043F}'), // 0xA8
    Some('\u{2591}'), Some('\u{2592}'), Some('\u{2593}'), Some('\u{2502}'), Some('\u{2524}'), Some('\u{2561}'), Some('\u{2562}'), Some('\u{2556}'), // 0xB0
    Some('\u{2555}'), Some('\u{2563}'), Some('\u{2551}'), Some('\u{2557}'), Some('\u{255D}'), Some('\u{255C}'), Some('\u{255B}'), Some('\u{2510}'), // 0xB8
    Some('\u{2514}'), Some('\u{2534}'), Some('\u{252C}'), Some('\u{251C}'), Some('\u{2500}'), Some('\u{253C}'), Some('\u{255E}'), Some('\u{255F}'), // 0xC0
    Some('\u{255A}'), Some('\u{2554}'), Some('\u{2569}'), Some('\u{2566}'), Some('\u{2560}'), Some('\u{2550}'), Some('\u{256C}'), Some('\u{2567}'), // 0xC8
    Some('\u{2568}'), Some('\u{2564}'), Some('\u{2565}'), Some('\u{2559}'), Some('\u{2558}'), Some('\u{2552}'), Some('\u{2553}'), Some('\u{256B}'), // 0xD0
    Some('\u{256A}'), Some('\u{2518}'), Some('\u{250C}'), Some('\u{2588}'), Some('\u{2584}'), Some('\u{258C}'), Some('\u{2590}'), Some('\u{2580}'), // 0xD8
    Some('\u{0440}'), Some('\u{0441}'), Some('\u{0442}'), Some('\u{0443}'), Some('\u{0444}'), Some('\u{0445}'), Some('\u{0446}'), Some('\u{0447}'), // 0xE0 р
    Some('\u{0448}'), Some('\u{0449}'), Some('\u{044A}'), Some('\u{044B}'), Some('\u{044C}'), Some('\u{044D}'), Some('\u{044E}'), Some('\u{044F}'), // 0xE8
    Some('\u{0401}'), Some('\u{0451}'), Some('\u{0404}'), Some('\u{0454}'), Some('\u{0407}'), Some('\u{0457}'), Some('\u{040E}'), Some('\u{045E}'), // 0xF0 Ё
    Some('\u{00B0}'), Some('\u{2219}'), Some('\u{00B7}'), Some('\u{221A}'), Some('\u{2116}'), Some('\u{00A4}'), Some('\u{25A0}'), Some('\u{00A0}'), // 0xF8
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_letters_sit_where_both_code_pages_put_them() {
        // "Кодировка", the header key the encoding is recognised by, in each encoding.
        let windows = [0xCA, 0xEE, 0xE4, 0xE8, 0xF0, 0xEE, 0xE2, 0xEA, 0xE0];
        let dos = [0x8A, 0xAE, 0xA4, 0xA8, 0xE0, 0xAE, 0xA2, 0xAA, 0xA0];
        assert_eq!(Encoding::Windows1251.decode(&windows).unwrap(), "Кодировка");
        assert_eq!(Encoding::Dos866.decode(&dos).unwrap(), "Кодировка");
        assert_eq!(Encoding::Utf8.decode("Кодировка".as_bytes()).unwrap(), "Кодировка");
        // «№ Ёё» and the Kazakh і that Windows-1251 has.
        assert_eq!(Encoding::Windows1251.decode(&[0xAB, 0xB9, 0x20, 0xA8, 0xB8, 0xBB, 0xB3]).unwrap(), "«№ Ёё»і");
        assert_eq!(Encoding::Dos866.decode(&[0xFC, 0x20, 0xF0, 0xF1]).unwrap(), "№ Ёё");
    }

    #[test]
    fn undefined_and_malformed_bytes_are_located() {
        assert_eq!(Encoding::Windows1251.decode(b"ab\x98c"), Err(UndecodableByte { position: 3, byte: 0x98 }));
        assert_eq!(Encoding::Utf8.decode(b"ok \xCA\xEE"), Err(UndecodableByte { position: 4, byte: 0xCA }));
        assert!(Encoding::Dos866.decode(&(0..=255).collect::<Vec<u8>>()).is_ok(), "cp866 defines every byte");
    }

    #[test]
    fn declared_names_are_read_case_insensitively() {
        assert_eq!(Encoding::from_declared(" windows "), Some(Encoding::Windows1251));
        assert_eq!(Encoding::from_declared("DOS"), Some(Encoding::Dos866));
        assert_eq!(Encoding::from_declared("UTF8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_declared("utf-8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_declared("KOI8-R"), None);
        assert_eq!(Encoding::from_declared("cp1251"), None, "the format's word is Windows");
    }
}
