//! Sequential reading of frames across segments, in constant memory.
//!
//! The scanner tells three endings apart, because they call for different
//! actions: a clean end; a torn tail (the last frame of the last segment is
//! incomplete: a crash during an append that was never acknowledged); and
//! corruption (anything else that does not parse).

use super::frame::FRAME_OVERHEAD;
use super::segment::{list_segments, SegmentHeader, HEADER_LEN};
use super::{io_err, LogError};
use crate::event::{Hash32, MAX_RECORD_BYTES};
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where a frame starts: segment number and byte offset in that file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub segment: u32,
    pub offset: u64,
}

#[derive(Debug, Clone)]
pub struct RawFrame {
    pub pos: Position,
    pub bytes: Vec<u8>,
    pub stored_hash: Hash32,
    /// More frames of its batch follow (it does not close the batch).
    pub more: bool,
}

impl RawFrame {
    /// The position just past this frame.
    pub fn end(&self) -> Position {
        end_of(self.pos, self.bytes.len())
    }
}

/// A frame whose record bytes were read into a caller's buffer.
#[derive(Debug, Clone, Copy)]
pub struct FrameAt {
    pub pos: Position,
    /// The record's length in bytes.
    pub len: usize,
    pub stored_hash: Hash32,
    pub more: bool,
}

impl FrameAt {
    /// The position just past this frame.
    pub fn end(&self) -> Position {
        end_of(self.pos, self.len)
    }
}

fn frame_len(record_len: usize) -> u64 {
    u64::try_from(record_len + FRAME_OVERHEAD).unwrap_or(u64::MAX)
}

/// The position just past the frame at `pos` holding `record_len` bytes.
fn end_of(pos: Position, record_len: usize) -> Position {
    Position {
        segment: pos.segment,
        offset: pos.offset + frame_len(record_len),
    }
}

/// How a scan stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanEnd {
    /// Every byte was a complete frame.
    Clean,
    /// The last segment ends in an incomplete frame starting at `at`.
    Torn { at: Position, reason: String },
    /// Bytes at `at` are not a frame and are not a torn tail.
    Corrupt { at: Position, reason: String },
}

pub struct Scanner {
    segments: Vec<PathBuf>,
    current: Option<(BufReader<File>, u64)>,
    pos: Position,
    end: Option<ScanEnd>,
    first_seqs: std::collections::BTreeMap<u32, u64>,
    /// Where the batch still open at the current position began.
    batch_start: Option<Position>,
}

impl Scanner {
    /// Scans from the first frame of the log.
    pub fn new(log_dir: &Path) -> Result<Self, LogError> {
        Self::from(
            log_dir,
            Position {
                segment: 0,
                offset: HEADER_LEN,
            },
        )
    }

    /// Scans from a frame boundary `start` (for catching up after a checkpoint).
    pub fn from(log_dir: &Path, start: Position) -> Result<Self, LogError> {
        let segments = list_segments(log_dir)?;
        let mut s = Scanner {
            segments,
            current: None,
            pos: start,
            end: None,
            first_seqs: std::collections::BTreeMap::new(),
            batch_start: None,
        };
        s.open_segment(start.segment, start.offset)?;
        Ok(s)
    }

    /// The segment headers read so far: (segment, first_seq).
    pub fn header_first_seq(&self, segment: u32) -> Option<u64> {
        self.first_seqs.get(&segment).copied()
    }

    fn open_segment(&mut self, segment: u32, offset: u64) -> Result<(), LogError> {
        let Some(path) = self
            .segments
            .get(usize::try_from(segment).unwrap_or(usize::MAX))
        else {
            if segment == 0 {
                self.end = Some(ScanEnd::Corrupt {
                    at: Position { segment, offset: 0 },
                    reason: "the log has no segment files".into(),
                });
            } else {
                self.end = Some(ScanEnd::Clean);
            }
            self.current = None;
            return Ok(());
        };
        let mut f = File::open(path).map_err(io_err(path))?;
        let len = f.metadata().map_err(io_err(path))?.len();
        let mut header = [0u8; 24];
        let got = read_up_to(&mut f, &mut header).map_err(io_err(path))?;
        match SegmentHeader::parse(&header[..got]) {
            Ok(h) => {
                self.first_seqs.insert(segment, h.first_seq);
            }
            Err(reason) => {
                let last = usize::try_from(segment).ok() == self.segments.len().checked_sub(1);
                let at = Position { segment, offset: 0 };
                // A crash while creating a segment can leave a short header.
                self.end = Some(
                    if last
                        && got < 24
                        && header[..got.min(8)] == super::SEGMENT_MAGIC[..got.min(8)]
                    {
                        ScanEnd::Torn {
                            at,
                            reason: format!("incomplete segment header ({got} bytes)"),
                        }
                    } else {
                        ScanEnd::Corrupt { at, reason }
                    },
                );
                self.current = None;
                return Ok(());
            }
        }
        f.seek(SeekFrom::Start(offset)).map_err(io_err(path))?;
        self.current = Some((BufReader::with_capacity(1 << 16, f), len));
        self.pos = Position { segment, offset };
        Ok(())
    }

    fn is_last_segment(&self) -> bool {
        usize::try_from(self.pos.segment).ok() == self.segments.len().checked_sub(1)
    }

    /// How the scan ended, once `next_frame` has returned `None`. A batch
    /// left open at the end (its last frame says more follow) is a torn
    /// tail starting at the batch's first frame: it was never acknowledged.
    pub fn end(&self) -> Option<ScanEnd> {
        match (&self.end, self.batch_start) {
            (Some(ScanEnd::Corrupt { .. }), _) | (None, _) => self.end.clone(),
            (Some(ScanEnd::Clean), Some(at)) => Some(ScanEnd::Torn {
                at,
                reason: "the last batch is incomplete (its last frame says more follow)".into(),
            }),
            (Some(ScanEnd::Torn { reason, .. }), Some(at)) => Some(ScanEnd::Torn {
                at,
                reason: format!("the last batch is incomplete ({reason})"),
            }),
            (Some(e), None) => Some(e.clone()),
        }
    }

    /// The next complete frame, or None at the end (see `end()`).
    pub fn next_frame(&mut self) -> Result<Option<RawFrame>, LogError> {
        let mut bytes = Vec::new();
        Ok(self.next_frame_into(&mut bytes)?.map(|f| RawFrame {
            pos: f.pos,
            bytes,
            stored_hash: f.stored_hash,
            more: f.more,
        }))
    }

    /// Like `next_frame`, but appends the record's bytes to `buf` (the
    /// last `len` bytes of it) instead of allocating them: a reader that
    /// hands frames to another thread sends one buffer for many frames.
    pub fn next_frame_into(&mut self, buf: &mut Vec<u8>) -> Result<Option<FrameAt>, LogError> {
        loop {
            if self.end.is_some() {
                return Ok(None);
            }
            let last = self.is_last_segment();
            let pos = self.pos;
            let path = self.segments[usize::try_from(pos.segment).unwrap_or(0)].clone();
            let Some((reader, len)) = self.current.as_mut() else {
                return Ok(None);
            };
            let len = *len;
            if pos.offset == len {
                let next = pos.segment + 1;
                self.open_segment(next, HEADER_LEN)?;
                continue;
            }
            if pos.offset > len {
                self.end = Some(ScanEnd::Corrupt {
                    at: pos,
                    reason: format!(
                        "position {} is past the end of the segment ({len} bytes)",
                        pos.offset
                    ),
                });
                return Ok(None);
            }
            let remaining = len - pos.offset;
            let stop = |this: &mut Self, torn: bool, reason: String| {
                this.end = Some(if torn && last {
                    ScanEnd::Torn { at: pos, reason }
                } else {
                    ScanEnd::Corrupt { at: pos, reason }
                });
            };
            if remaining < 8 {
                stop(
                    self,
                    true,
                    format!("{remaining} bytes left, too few for a frame header"),
                );
                return Ok(None);
            }
            let mut hb = [0u8; 8];
            reader.read_exact(&mut hb).map_err(io_err(&path))?;
            let word = u32::from_le_bytes([hb[0], hb[1], hb[2], hb[3]]);
            let check = u32::from_le_bytes([hb[4], hb[5], hb[6], hb[7]]);
            let more = word & super::frame::MORE_IN_BATCH != 0;
            let rec_len = word & !super::frame::MORE_IN_BATCH;
            if hb == [0; 8] && rest_is_zero(reader).map_err(io_err(&path))? {
                // Zero-filled space after a crash (the size grew, the data did not land).
                stop(self, true, "zero-filled tail".into());
                return Ok(None);
            }
            if check != !word {
                stop(
                    self,
                    false,
                    format!(
                        "frame header is damaged (length word {word:#010x}, check {check:#010x})"
                    ),
                );
                return Ok(None);
            }
            let rec_len_usize = usize::try_from(rec_len).unwrap_or(usize::MAX);
            if rec_len == 0 || rec_len_usize > MAX_RECORD_BYTES {
                stop(
                    self,
                    false,
                    format!("frame length {rec_len} is outside 1..={MAX_RECORD_BYTES}"),
                );
                return Ok(None);
            }
            let need = frame_len(rec_len_usize);
            if need > remaining {
                stop(
                    self,
                    true,
                    format!("incomplete frame: {need} bytes needed, {remaining} present"),
                );
                return Ok(None);
            }
            let start = buf.len();
            buf.resize(start + rec_len_usize, 0);
            let mut h = [0u8; 32];
            let read = reader
                .read_exact(&mut buf[start..])
                .and_then(|()| reader.read_exact(&mut h));
            if let Err(e) = read {
                buf.truncate(start);
                return Err(io_err(&path)(e));
            }
            let frame = FrameAt {
                pos,
                len: rec_len_usize,
                stored_hash: Hash32(h),
                more,
            };
            self.pos = frame.end();
            if more {
                self.batch_start.get_or_insert(pos);
            } else {
                self.batch_start = None;
            }
            return Ok(Some(frame));
        }
    }
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match f.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

fn rest_is_zero(r: &mut impl Read) -> std::io::Result<bool> {
    let mut buf = [0u8; 8192];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(true);
        }
        if buf[..n].iter().any(|b| *b != 0) {
            return Ok(false);
        }
    }
}
