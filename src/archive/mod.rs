//! Stage 5, **archive**: the deterministic `.sts` zip writer, and safe archive reading.

pub mod read;
pub mod rules;
pub mod write;
