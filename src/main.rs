//! The `stackpack` binary: the command line of the library (`stackpack::cli`).

/// mimalloc instead of glibc's malloc for the binary only (see Cargo.toml): the loader and the
/// classic lint allocate many small, short-lived nodes.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    stackpack::cli::main()
}
