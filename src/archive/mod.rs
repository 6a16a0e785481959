//! Stage 5, **archive**: the deterministic `.sts` zip writer, and safe archive reading.

pub mod read;
pub mod rules;
pub mod write;

/// One file of the archive: what the compiler produces and the writer stores. Defined here so
/// that `compile` depends on `archive` and never the other way round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `/`-separated path inside the archive.
    pub path: String,
    pub data: Vec<u8>,
}
