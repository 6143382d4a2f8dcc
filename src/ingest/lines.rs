//! Reading JSON Lines safely: a bounded line length (a 100 MB line is an
//! error, not an allocation), UTF-8 checked per line, line numbers kept.

use std::io::BufRead;

/// Longest accepted line, in bytes (documented in docs/IMPORT.md).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

pub enum Line {
    Text(String),
    TooLong,
    BadUtf8 { valid_up_to: usize },
}

/// Reads the next line (without its newline). None at end of input.
pub fn next_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
    buf.clear();
    let mut too_long = false;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if !too_long {
            if buf.len() + take > MAX_LINE_BYTES {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        r.consume(if done { take + 1 } else { take });
        if done {
            break;
        }
    }
    if !any {
        return Ok(None);
    }
    if too_long {
        return Ok(Some(Line::TooLong));
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    match std::str::from_utf8(buf) {
        Ok(s) => Ok(Some(Line::Text(s.to_string()))),
        Err(e) => Ok(Some(Line::BadUtf8 {
            valid_up_to: e.valid_up_to(),
        })),
    }
}
