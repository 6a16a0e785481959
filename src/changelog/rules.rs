//! Rules of the changelog and release notes (SP6xx).

use crate::diag::Rule;

pub const RULES: &[&Rule] = &[];
