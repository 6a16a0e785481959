//! Rules of the StackState version compatibility (SP5xx).

use crate::diag::Rule;

pub const RULES: &[&Rule] = &[];
