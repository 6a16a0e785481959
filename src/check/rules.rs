//! Rules of the check stage (SP1xx manifest, SP2xx nodes and references, SP3xx templates and
//! scripts, SP4xx views, SP9xx hygiene).

use crate::diag::Rule;

pub const RULES: &[&Rule] = &[];
