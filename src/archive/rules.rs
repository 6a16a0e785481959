//! Rules of the reading and writing archives (SP8xx).

use crate::diag::Rule;

pub const RULES: &[&Rule] = &[];
