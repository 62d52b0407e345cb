//! An incremental line reader: it remembers how far it read a file and only ever reads
//! what was appended since, holding back a last line that is not finished yet.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// How much one call reads at most, so one huge transcript cannot hold up a round; the
/// rest is read on the next calls.
pub const READ_LIMIT: u64 = 4 << 20;

/// A file read from a remembered byte offset.
#[derive(Debug)]
pub struct Tail {
    path: PathBuf,
    offset: u64,
    /// Bytes of a line whose newline has not been written yet.
    partial: Vec<u8>,
}

impl Tail {
    /// A reader at the start of `path`.
    pub fn new(path: &Path) -> Tail {
        Tail {
            path: path.to_path_buf(),
            offset: 0,
            partial: Vec::new(),
        }
    }

    /// The file it reads.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes consumed so far (finished lines only count once their newline arrived).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The lines finished since the last call, at most `limit` bytes' worth. A file that
    /// shrank (rewritten) is read again from the start: `restarted` says so, and the
    /// caller drops what it counted from it.
    pub fn read_new(&mut self, limit: u64) -> std::io::Result<Chunk> {
        let mut file = File::open(&self.path)?;
        let len = file.metadata()?.len();
        let mut restarted = false;
        if len < self.offset {
            self.offset = 0;
            self.partial.clear();
            restarted = true;
        }
        file.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        file.take(limit).read_to_end(&mut buf)?;
        self.offset += buf.len() as u64;
        let mut data = std::mem::take(&mut self.partial);
        data.extend_from_slice(&buf);
        let cut = data.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
        self.partial = data.split_off(cut);
        let lines = String::from_utf8_lossy(&data)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        Ok(Chunk {
            lines,
            restarted,
            more: self.offset < len,
        })
    }
}

/// What one read returned.
#[derive(Debug, Default)]
pub struct Chunk {
    /// Finished lines, in file order.
    pub lines: Vec<String>,
    /// The file shrank and was read from its start again.
    pub restarted: bool,
    /// The read limit stopped it before the end of the file.
    pub more: bool,
}
