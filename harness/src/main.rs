//! The `eni-harness` command: a thin shell over the library's CLI.

// The fuzzer and the served emulator allocate small strings for every request; mimalloc keeps
// that cheap on every thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    eni_harness::cli::main()
}
