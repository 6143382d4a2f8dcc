//! Durable appends. A batch of frames is one `write` and one `fdatasync`
//! (group commit); it is acknowledged only after the sync returns.

use super::scan::Position;
use super::segment::{segment_path, SegmentHeader, HEADER_LEN};
use super::{io_err, LogError};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A new segment is started once the current one reaches this size. A batch
/// never spans two segments, so a segment may exceed it by one batch.
pub const DEFAULT_SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

pub struct LogWriter {
    dir: PathBuf,
    segment: u32,
    file: File,
    len: u64,
    segment_limit: u64,
    poisoned: bool,
    /// Offset where the batch being written began, while one is open.
    batch_start: Option<u64>,
}

/// Makes a directory entry durable (a new file's name, not only its bytes).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), LogError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_err(dir))
}

impl LogWriter {
    /// Creates segment 0 of an empty log directory.
    pub fn create(dir: &Path, segment_limit: u64) -> Result<Self, LogError> {
        let (file, len) = Self::new_segment(dir, 0, 0)?;
        Ok(LogWriter {
            dir: dir.to_path_buf(),
            segment: 0,
            file,
            len,
            segment_limit,
            poisoned: false,
            batch_start: None,
        })
    }

    /// Opens the log for appending at `end`, which must be the end of the last
    /// complete frame. Anything after it (a torn tail) is cut off and synced.
    pub fn open_at(dir: &Path, end: Position, segment_limit: u64) -> Result<Self, LogError> {
        // A torn header of a segment after `end` means the crash happened while
        // creating it: no frame in it was ever acknowledged.
        let mut next = end.segment + 1;
        loop {
            let p = segment_path(dir, next);
            if !p.exists() {
                break;
            }
            std::fs::remove_file(&p).map_err(io_err(&p))?;
            next += 1;
        }
        let path = segment_path(dir, end.segment);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let len = file.metadata().map_err(io_err(&path))?.len();
        if len > end.offset {
            file.set_len(end.offset).map_err(io_err(&path))?;
            file.sync_all().map_err(io_err(&path))?;
        }
        sync_dir(dir)?;
        let mut w = LogWriter {
            dir: dir.to_path_buf(),
            segment: end.segment,
            file,
            len: end.offset,
            segment_limit,
            poisoned: false,
            batch_start: None,
        };
        w.seek_end()?;
        Ok(w)
    }

    fn seek_end(&mut self) -> Result<(), LogError> {
        use std::io::{Seek, SeekFrom};
        let path = segment_path(&self.dir, self.segment);
        self.file
            .seek(SeekFrom::Start(self.len))
            .map_err(io_err(&path))?;
        Ok(())
    }

    fn new_segment(dir: &Path, index: u32, first_seq: u64) -> Result<(File, u64), LogError> {
        let path = segment_path(dir, index);
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(io_err(&path))?;
        f.write_all(&SegmentHeader { first_seq }.to_bytes())
            .map_err(io_err(&path))?;
        f.sync_all().map_err(io_err(&path))?;
        sync_dir(dir)?;
        Ok((f, HEADER_LEN))
    }

    /// Where the next frame will start, were it appended now.
    pub fn end(&self) -> Position {
        Position {
            segment: self.segment,
            offset: self.len,
        }
    }

    /// Whether the next batch goes to a new segment (so the caller can place frames).
    /// Refuses every append from now on (`LogError::Poisoned`): the store
    /// found itself in a state only a reopen repairs.
    pub fn poison(&mut self) {
        self.poisoned = true;
    }

    pub fn will_roll(&self) -> bool {
        self.len >= self.segment_limit
    }

    /// Starts a batch that may be written in several parts (a large import):
    /// rolls to a new segment if the current one is full.
    pub fn begin(&mut self, first_seq: u64) -> Result<Position, LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        if let Some(start) = self.batch_start {
            return Ok(Position {
                segment: self.segment,
                offset: start,
            });
        }
        if self.will_roll() {
            let (f, len) = Self::new_segment(&self.dir, self.segment + 1, first_seq)?;
            self.segment += 1;
            self.file = f;
            self.len = len;
        }
        self.batch_start = Some(self.len);
        Ok(self.end())
    }

    /// Writes part of the open batch without syncing. Its frames all say
    /// "more follow", so until `finish` a crash leaves an unclosed batch,
    /// which the next open cuts off whole.
    pub fn write_part(&mut self, frames: &[u8]) -> Result<(), LogError> {
        self.write(frames, false)
    }

    /// Writes the last part of the open batch (its last frame closes it) and
    /// fdatasyncs: the batch is acknowledged when this returns.
    pub fn finish(&mut self, frames: &[u8]) -> Result<(), LogError> {
        self.write(frames, true)?;
        self.batch_start = None;
        Ok(())
    }

    fn write(&mut self, frames: &[u8], sync: bool) -> Result<(), LogError> {
        if self.poisoned {
            return Err(LogError::Poisoned);
        }
        let res =
            self.file.write_all(frames).and_then(
                |()| {
                    if sync {
                        self.file.sync_data()
                    } else {
                        Ok(())
                    }
                },
            );
        if let Err(e) = res {
            self.abort();
            // The path is made here only: it was allocated on every append.
            return Err(io_err(&segment_path(&self.dir, self.segment))(e));
        }
        self.len += u64::try_from(frames.len()).unwrap_or(u64::MAX);
        Ok(())
    }

    /// Drops the open batch: the file is cut back to where it began.
    pub fn abort(&mut self) {
        let Some(start) = self.batch_start.take() else {
            return;
        };
        let undo = self.file.set_len(start).and_then(|()| self.file.sync_all());
        if undo.is_err() {
            self.poisoned = true;
        } else {
            self.len = start;
            let _ = self.seek_end();
        }
    }
}
