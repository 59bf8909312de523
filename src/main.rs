/// The system allocator with a small cache of freed blocks per thread, on during a check.
#[global_allocator]
static ALLOCATOR: uplint::heap::ThreadCache = uplint::heap::ThreadCache;

fn main() -> std::process::ExitCode {
    uplint::cli::main()
}
