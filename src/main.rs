fn main() -> std::process::ExitCode {
    stackpack::cli::main()
}
