//! `sampark`: see `sampark --help` and README.md.

fn main() -> std::process::ExitCode {
    sampark::cli::main()
}
