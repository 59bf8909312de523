fn main() -> std::process::ExitCode {
    uplint::cli::main()
}
