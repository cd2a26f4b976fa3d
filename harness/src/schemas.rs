//! The JSON Schemas of the YAML files users write, as committed under `schemas/`: case files,
//! profiles, emulator worlds and known-failures files. Each is derived from the types that read
//! the file (the case language's from the schema types the spec keeps equal to its validator),
//! and a test keeps the committed files equal to these.

/// Every schema: its file name under `schemas/` and its pretty JSON text (with a final newline).
pub fn all() -> Vec<(&'static str, String)> {
    let mut world = schemars::schema_for!(eni_emulator::World);
    world.insert(
        "title".into(),
        "eni-harness emulator world (what exists when `eni-harness serve` starts)".into(),
    );
    [
        ("case.schema.json", eni_spec::case_schema()),
        ("profile.schema.json", crate::profile::json_schema()),
        ("world.schema.json", world),
        (
            "known-failures.schema.json",
            crate::runner::known::json_schema(),
        ),
    ]
    .into_iter()
    .map(|(name, schema)| {
        let mut text = serde_json::to_string_pretty(&schema).expect("a schema is plain data");
        text.push('\n');
        (name, text)
    })
    .collect()
}

/// Which schema a shipped YAML file follows, by its repository path: `cases/**` (outside
/// `invalid/`), `profiles/*`, `harness/emulator/worlds/*`, `*known-failures*`.
pub fn schema_of(path: &str) -> Option<&'static str> {
    let path = path.replace('\\', "/");
    if !(path.ends_with(".yaml") || path.ends_with(".yml")) {
        return None;
    }
    if path.contains("known-failures") {
        Some("known-failures.schema.json")
    } else if path.starts_with("cases/") {
        (!path.contains("/invalid/")).then_some("case.schema.json")
    } else if path.starts_with("profiles/") {
        Some("profile.schema.json")
    } else if path.starts_with("harness/emulator/worlds/") {
        Some("world.schema.json")
    } else {
        None
    }
}

/// The first line a shipped file at `path` carries: the `yaml-language-server` modeline that
/// points editors at its schema, relative to the file (so it works in a checkout and in an
/// export alike).
pub fn modeline(path: &str, schema: &str) -> String {
    let depth = path.matches('/').count();
    format!(
        "# yaml-language-server: $schema={}schemas/{schema}",
        "../".repeat(depth)
    )
}
