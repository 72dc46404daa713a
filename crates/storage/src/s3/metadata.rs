//! User metadata values travel in HTTP headers, which are ASCII. Non-ASCII values
//! are sent RFC 2047-encoded (`=?UTF-8?B?…?=`), as AWS S3 itself returns them, and
//! encoded values are decoded on the way back, whichever server encoded them.

use base64::Engine as _;

/// The header-safe form of a metadata value.
pub(crate) fn encode_value(value: &str) -> String {
    if value.is_ascii() && !value.starts_with("=?") {
        value.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(value))
    }
}

/// The original value of a header that may be RFC 2047-encoded (B or Q, UTF-8).
pub(crate) fn decode_value(value: &str) -> String {
    let Some(inner) = value.strip_prefix("=?").and_then(|v| v.strip_suffix("?=")) else {
        return value.to_owned();
    };
    let mut parts = inner.splitn(3, '?');
    let (Some(charset), Some(encoding), Some(text)) = (parts.next(), parts.next(), parts.next()) else {
        return value.to_owned();
    };
    if !charset.eq_ignore_ascii_case("utf-8") {
        return value.to_owned();
    }
    let bytes = if encoding.eq_ignore_ascii_case("b") {
        base64::engine::general_purpose::STANDARD.decode(text).ok()
    } else if encoding.eq_ignore_ascii_case("q") {
        decode_q(text)
    } else {
        None
    };
    bytes.and_then(|b| String::from_utf8(b).ok()).unwrap_or_else(|| value.to_owned())
}

fn decode_q(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                out.push(u8::try_from(hi * 16 + lo).ok()?);
            }
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_values_round_trip() {
        for value in ["plain", "caf\u{e9} & more", "\u{65e5}\u{672c}", "=?looks encoded?="] {
            assert_eq!(decode_value(&encode_value(value)), value);
        }
        assert_eq!(encode_value("plain"), "plain");
        assert!(encode_value("caf\u{e9}").is_ascii());
    }

    #[test]
    fn decodes_what_servers_send() {
        assert_eq!(decode_value("=?UTF-8?B?Y2Fmw6kgJiBtb3Jl?="), "caf\u{e9} & more");
        assert_eq!(decode_value("=?utf-8?Q?caf=C3=A9_ok?="), "caf\u{e9} ok");
        assert_eq!(decode_value("=?ISO-8859-1?Q?x?="), "=?ISO-8859-1?Q?x?=");
        assert_eq!(decode_value("=?UTF-8?B?not base64!?="), "=?UTF-8?B?not base64!?=");
    }
}
