//! Lines of a file, or of a stream read once (standard input), read and
//! parsed one thread ahead of the planner's pass: parsing is about half
//! of it, and it needs nothing the pass holds. The pass parses one line in
//! PARSE_HERE itself, which evens the two threads' work.

use super::input::parse_line;
use super::lines::{next_line, Line, MAX_LINE_BYTES};
use super::plan::{each_ahead, IngestError, Item, Lines};
use std::io::{BufReader, Read, Seek};

/// Lines of a file (an import's input).
pub struct FileLines(pub std::fs::File);

impl Lines for FileLines {
    /// Items come to `f` in line order, exactly as a one-thread loop would
    /// give them; an error from `f` stops the reader.
    fn each(
        &mut self,
        f: &mut dyn FnMut(u64, Item) -> Result<(), IngestError>,
    ) -> Result<u64, IngestError> {
        self.0.rewind()?;
        each_line(&self.0, f)
    }
}

/// Lines of a stream that can be read once (standard input): an import
/// reads its input once, pass 2 reading its spool.
pub struct ReadLines<R>(pub Option<R>);

impl<R: Read + Send> Lines for ReadLines<R> {
    fn each(
        &mut self,
        f: &mut dyn FnMut(u64, Item) -> Result<(), IngestError>,
    ) -> Result<u64, IngestError> {
        let Some(input) = self.0.take() else {
            return Err(IngestError::Internal(
                "a stream was asked for its lines twice".into(),
            ));
        };
        each_line(input, f)
    }
}

/// The reading thread parses every line but one in PARSE_HERE, which
/// the pass parses as it takes it. Parsing bounds the first pass of an
/// import: at 1M lines, with the reading thread parsing them all, the
/// pass waited 0.69-0.77 s of its 2.04-2.19 s for lines; parsing one in 6
/// here, 1.88-1.99 s; one in 4, 1.77-1.94 s, each side waiting about
/// 60 ms for the other (docs/PERFORMANCE.md, fifteenth session).
const PARSE_HERE: u64 = 4;

/// A line as the reading thread hands it over: parsed, or its text for
/// the pass to parse.
#[allow(clippy::large_enum_variant)] // as `Item` is: boxing would allocate per line
enum Handed {
    Item(Item),
    Text(String),
}

impl Handed {
    fn into_item(self) -> Item {
        match self {
            Handed::Item(item) => item,
            Handed::Text(t) => item(Line::Text(t)),
        }
    }
}

/// Calls `f` with `input`'s items in line order, parsed one thread ahead
/// (but for one in PARSE_HERE); returns the last line's number.
fn each_line<R: Read + Send>(
    input: R,
    f: &mut dyn FnMut(u64, Item) -> Result<(), IngestError>,
) -> Result<u64, IngestError> {
    let items = items(input).map(|r| r.map_err(IngestError::Io));
    each_ahead(items, Handed::into_item, f)
}

/// The numbered lines of `input`; a read error ends them.
fn items<R: Read + Send>(
    input: R,
) -> impl Iterator<Item = Result<(u64, Handed), std::io::Error>> + Send {
    let mut r = BufReader::with_capacity(1 << 16, input);
    let mut buf = Vec::new();
    let mut n = 0u64;
    let mut failed = false;
    std::iter::from_fn(move || {
        if failed {
            return None;
        }
        match next_line(&mut r, &mut buf) {
            Ok(Some(line)) => {
                n += 1;
                Some(Ok((
                    n,
                    match line {
                        Line::Text(t) if n.is_multiple_of(PARSE_HERE) => Handed::Text(t),
                        line => Handed::Item(item(line)),
                    },
                )))
            }
            Ok(None) => None,
            Err(e) => {
                failed = true;
                Some(Err(e))
            }
        }
    })
}

fn item(line: Line) -> Item {
    match line {
        Line::TooLong => Item::Bad(format!(
            "line is longer than the limit of {MAX_LINE_BYTES} bytes"
        )),
        Line::BadUtf8 { valid_up_to } => Item::Bad(format!(
            "not valid UTF-8 (first bad byte at byte {})",
            valid_up_to + 1
        )),
        Line::Text(t) if t.trim().is_empty() => Item::Blank,
        Line::Text(t) => match parse_line(&t) {
            Ok(p) => Item::Parsed(p),
            Err(m) => Item::Bad(m),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file_of(lines: &[String]) -> std::fs::File {
        let mut f = tempfile::tempfile().unwrap();
        for l in lines {
            writeln!(f, "{l}").unwrap();
        }
        f
    }

    fn kind(item: &Item) -> String {
        match item {
            Item::Parsed(p) => format!("{p:?}"),
            Item::Blank => "blank".into(),
            Item::Bad(m) => format!("bad: {m}"),
        }
    }

    /// Many batches' worth of sources, blank lines and bad ones.
    fn input() -> Vec<String> {
        (0..3000)
            .map(|i| match i % 7 {
                3 => String::new(),
                5 => "{not json".into(),
                _ => {
                    format!(r#"{{"type":"source","id":"s{i}","name":"Source {i}","kind":"media"}}"#)
                }
            })
            .collect()
    }

    #[test]
    fn items_arrive_in_line_order_as_one_thread_reads_them() {
        let lines = input();
        let mut seen = Vec::new();
        let n = FileLines(file_of(&lines))
            .each(&mut |n, item| {
                seen.push((n, kind(&item)));
                Ok(())
            })
            .unwrap();
        assert_eq!(n, lines.len() as u64);
        let expected: Vec<(u64, String)> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i as u64 + 1, kind(&item(Line::Text(l.clone())))))
            .collect();
        assert_eq!(seen, expected);
    }

    /// Lines the reading thread hands over unparsed (every PARSE_HERE-th)
    /// or not, whatever they hold: a bad UTF-8 line, a line over the
    /// limit, a blank one and bad JSON at each place of the cycle give
    /// what one thread reading and parsing every line gives.
    #[test]
    fn every_kind_of_line_gives_the_same_item_at_every_place_of_the_cycle() {
        let source = r#"{"type":"source","id":"s","name":"S","kind":"media"}"#;
        let odd: [Vec<u8>; 4] = [
            b"{\"type\":\"source\",\"id\":\"a\xff\"}".to_vec(),
            vec![b'x'; MAX_LINE_BYTES + 1],
            b"   ".to_vec(),
            b"{not json".to_vec(),
        ];
        let mut bytes = Vec::new();
        for place in 0..PARSE_HERE as usize {
            for o in &odd {
                for _ in 0..place {
                    bytes.extend_from_slice(source.as_bytes());
                    bytes.push(b'\n');
                }
                bytes.extend_from_slice(o);
                bytes.push(b'\n');
            }
        }
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(&bytes).unwrap();
        let mut seen = Vec::new();
        FileLines(f)
            .each(&mut |n, item| {
                seen.push((n, kind(&item)));
                Ok(())
            })
            .unwrap();
        let mut r = std::io::BufReader::new(bytes.as_slice());
        let mut buf = Vec::new();
        let mut expected = Vec::new();
        while let Some(line) = next_line(&mut r, &mut buf).unwrap() {
            expected.push((expected.len() as u64 + 1, kind(&item(line))));
        }
        assert_eq!(seen, expected);
        let bad = |needle: &str| seen.iter().filter(|(_, k)| k.contains(needle)).count();
        assert_eq!(bad("not valid UTF-8"), PARSE_HERE as usize);
        assert_eq!(bad("longer than the limit"), PARSE_HERE as usize);
    }

    #[test]
    fn an_error_from_the_pass_stops_the_reading_and_comes_out() {
        let lines = input();
        let mut calls = 0;
        let err = FileLines(file_of(&lines))
            .each(&mut |n, _| {
                calls += 1;
                if n == 300 {
                    return Err(IngestError::Empty);
                }
                Ok(())
            })
            .unwrap_err();
        assert!(matches!(err, IngestError::Empty));
        assert_eq!(calls, 300);
    }

    #[test]
    fn a_stream_gives_the_items_a_file_gives_once() {
        let lines = input();
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let collect = |l: &mut dyn Lines| {
            let mut seen = Vec::new();
            l.each(&mut |n, item| {
                seen.push((n, kind(&item)));
                Ok(())
            })
            .map(|_| seen)
        };
        let from_file = collect(&mut FileLines(file_of(&lines))).unwrap();
        let mut stream = ReadLines(Some(text.as_bytes()));
        assert_eq!(collect(&mut stream).unwrap(), from_file);
        // Read once: a second pass is a bug, and says so.
        assert!(matches!(
            collect(&mut stream),
            Err(IngestError::Internal(_))
        ));
    }

    #[test]
    fn a_second_pass_reads_the_file_again_from_its_start() {
        let lines = input();
        let mut f = FileLines(file_of(&lines));
        let count = |f: &mut FileLines| {
            let mut c = 0u64;
            f.each(&mut |_, _| {
                c += 1;
                Ok(())
            })
            .unwrap();
            c
        };
        assert_eq!(count(&mut f), lines.len() as u64);
        assert_eq!(count(&mut f), lines.len() as u64);
    }
}
