fn main() {
    std::process::exit(regauth::cli::main());
}
