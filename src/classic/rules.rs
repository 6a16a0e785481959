//! Rules of the classic v1 packs (SP7xx).

use crate::diag::Rule;

pub const RULES: &[&Rule] = &[];
