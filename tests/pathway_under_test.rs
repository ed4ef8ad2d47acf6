fn main() -> std::process::ExitCode {
    pathway_server::cli::main()
}
