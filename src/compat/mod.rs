//! StackState version compatibility: which server version introduced each node type, field,
//! helper and conf key, and the checks that use it (issue 4).

pub mod rules;
