//! The `eni-harness` command: a thin shell over the library's CLI.

fn main() -> std::process::ExitCode {
    eni_harness::cli::main()
}
