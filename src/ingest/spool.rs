//! What an import's second pass reads: the lines its first pass parsed and
//! checked, spooled in their canonical (bincode) encoding, instead of the
//! input parsed a second time.
//!
//! Why: parsing a line is most of the second thread's work in each pass,
//! and in the second pass the first thread (encoding, hashing, folding)
//! is the bound; decoding the spool costs a fraction of parsing, which
//! leaves that core to the work the first thread hands off. And what is
//! appended is what was checked, whatever happens to the input meanwhile.

use super::input::Parsed;
use super::plan::{each_ahead, IngestError, Item, Lines};
use std::fs::File;
use std::io::{BufReader, BufWriter, Seek};
use std::path::Path;

fn config() -> bincode::config::Configuration {
    bincode::config::standard()
}

/// The spool being written by the first pass.
pub struct Spool {
    out: BufWriter<File>,
    items: u64,
}

impl Spool {
    /// A spool in `dir` (the store's directory, so that its size counts
    /// against the disk the store is on). The file has no name: nothing is
    /// left behind, whatever ends the import.
    pub fn new(dir: &Path) -> std::io::Result<Spool> {
        Ok(Spool {
            out: BufWriter::with_capacity(1 << 16, tempfile::tempfile_in(dir)?),
            items: 0,
        })
    }

    /// Adds line `line`, parsed as `parsed`.
    pub fn push(&mut self, line: u64, parsed: &Parsed) -> std::io::Result<()> {
        bincode::encode_into_std_write((line, parsed), &mut self.out, config())
            .map_err(std::io::Error::other)?;
        self.items += 1;
        Ok(())
    }

    /// The spooled lines, to be read from the start.
    pub fn lines(self) -> std::io::Result<SpoolLines> {
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        tracing::debug!(
            "import: spooled {} lines in {} bytes",
            self.items,
            file.stream_position()?
        );
        file.rewind()?;
        Ok(SpoolLines {
            file,
            items: self.items,
        })
    }
}

/// The lines of a spool, decoded one thread ahead of the pass that reads
/// them.
pub struct SpoolLines {
    file: File,
    items: u64,
}

impl Lines for SpoolLines {
    /// Every spooled line, in the order spooled; returns the last line's
    /// number.
    fn each(
        &mut self,
        f: &mut dyn FnMut(u64, Item) -> Result<(), IngestError>,
    ) -> Result<u64, IngestError> {
        self.file.rewind().map_err(IngestError::Spool)?;
        let mut r = BufReader::with_capacity(1 << 16, &self.file);
        let items = (0..self.items).map(move |_| {
            bincode::decode_from_std_read::<(u64, Parsed), _, _>(&mut r, config())
                .map(|(line, parsed)| (line, Item::Parsed(parsed)))
                .map_err(|e| {
                    IngestError::Spool(std::io::Error::other(format!(
                        "it cannot be read back: {e}"
                    )))
                })
        });
        each_ahead(items, |item| item, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse_line;

    /// Lines of every kind, many batches of them.
    fn parsed() -> Vec<(u64, Parsed)> {
        let kinds = [
            r#"{"type":"source","id":"s1","name":"Source 1","kind":"media"}"#.to_string(),
            r#"{"type":"claim","metric":"people_returned","quantity":{"exact":207},"scope":{"kind":"event","date":"2024-01-31"},"source":"s1","cites":"s2","published":"2024-01-31","quote":"207 returned, the President said."}"#.to_string(),
            r#"{"type":"retract","line":2,"reason":"wrong"}"#.to_string(),
            r#"{"type":"correct","claim":"abcd1234","reason":"typo","new":{"metric":"people_returned","quantity":{"at_least":7000},"scope":{"kind":"cumulative","since":"2022-02-24","as_of":"2024-06-01"},"source":"s1","published":"2024-06-02","quote":"over 7,000"}}"#.to_string(),
        ];
        (0..2000u64)
            .map(|i| {
                let p = parse_line(&kinds[(i % 4) as usize]).expect("a valid line");
                (i * 3 + 1, p)
            })
            .collect()
    }

    /// `lines` spooled, ready to be read.
    fn spooled(lines: &[(u64, Parsed)]) -> SpoolLines {
        let mut spool = Spool::new(&std::env::temp_dir()).unwrap();
        for (n, p) in lines {
            spool.push(*n, p).unwrap();
        }
        spool.lines().unwrap()
    }

    #[test]
    fn a_spool_gives_back_every_line_it_took_in_order() {
        let lines = parsed();
        let mut read = spooled(&lines);
        // Twice: each pass starts from the beginning.
        for _ in 0..2 {
            let mut back = Vec::new();
            let last = read
                .each(&mut |n, item| {
                    let Item::Parsed(p) = item else {
                        panic!("line {n} came back unparsed");
                    };
                    back.push((n, format!("{p:?}")));
                    Ok(())
                })
                .unwrap();
            assert_eq!(last, lines.last().unwrap().0);
            let want: Vec<(u64, String)> =
                lines.iter().map(|(n, p)| (*n, format!("{p:?}"))).collect();
            assert_eq!(back, want);
        }
    }

    #[test]
    fn a_damaged_spool_is_an_error_not_a_short_read() {
        let mut read = spooled(&parsed());
        read.file.set_len(1000).unwrap();
        let err = read.each(&mut |_, _| Ok(())).unwrap_err();
        assert!(err.to_string().contains("spool"), "{err}");
    }
}
