//! The committed JSON Schemas under `schemas/` are the ones the types generate, every shipped
//! YAML file names its schema on its first line and validates against it, and the schemas refuse
//! what the readers refuse (so that an editor's errors are the tool's).
//!
//! After changing a type that reads one of these files: `ENI_HARNESS_WRITE_SCHEMAS=1 cargo test
//! --test integration -- schemas::` rewrites `schemas/`.

use std::path::{Path, PathBuf};

use eni_harness::schemas;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn validator(schema: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schemas").join(schema)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// The YAML as an editor's language server sees it: plain JSON values.
fn as_json(text: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap()
}

fn errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    validator
        .iter_errors(&as_json(text))
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    let write = std::env::var_os("ENI_HARNESS_WRITE_SCHEMAS").is_some();
    for (name, text) in schemas::all() {
        let path = root().join("schemas").join(name);
        if write {
            std::fs::write(&path, &text).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == text,
            "schemas/{name} is not the generated schema: run `ENI_HARNESS_WRITE_SCHEMAS=1 cargo test --test integration -- schemas::` and commit it"
        );
    }
}

fn shipped(folder: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            shipped(&path, found);
        } else {
            found.push(path);
        }
    }
}

#[test]
fn every_shipped_yaml_file_names_its_schema_and_validates() {
    let mut files = Vec::new();
    for folder in ["cases", "profiles", "harness/emulator/worlds", "docs"] {
        shipped(&root().join(folder), &mut files);
    }
    files.sort();
    let mut problems = Vec::new();
    let mut checked = 0;
    for file in files {
        let relative = file
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let Some(schema) = schemas::schema_of(&relative) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let modeline = schemas::modeline(&relative, schema);
        if text.lines().next() != Some(modeline.as_str()) {
            problems.push(format!(
                "{relative}: the first line is not `{modeline}` (`eni-harness fmt` adds it to case files)"
            ));
        }
        for error in errors(&validator(schema), &text) {
            problems.push(format!("{relative}: {error}"));
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked} files checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What the readers refuse, the schemas refuse: an editor flags it before a run does.
#[test]
fn the_schemas_refuse_what_the_readers_refuse() {
    let case = validator("case.schema.json");
    let good = "id: a.b\ntitle: T\nsteps:\n  - name: s\n    action: DescribeNetworkInterfaces\n    params: {MaxResults: 10, RegionId: cn-hangzhou}\n    expect: {status: [200, 403], code: X}\n";
    assert_eq!(errors(&case, good), Vec::<String>::new());
    assert!(eni_spec::parse_case(good, "t.yaml").is_ok());
    for bad in [
        good.replace("title: T\n", ""),
        good.replace("    expect:", "    expcet:"),
        good.replace("status: [200, 403]", "status: [two hundred]"),
        good.replace("steps:", "snapshot: maybe\nsteps:"),
        good.replace("steps:", "format: YAML\nsteps:"),
        good.replace("steps:", "emulator: {async_delay: soon}\nsteps:"),
    ] {
        assert!(
            !errors(&case, &bad).is_empty(),
            "the schema accepts:\n{bad}"
        );
        assert!(
            eni_spec::parse_case(&bad, "t.yaml").is_err(),
            "the validator accepts:\n{bad}"
        );
    }
    let profile = validator("profile.schema.json");
    let text = eni_harness::profile::EMBEDDED_PROFILE;
    assert_eq!(errors(&profile, text), Vec::<String>::new());
    let misspelt = text.replace("region:", "regoin:");
    assert!(!errors(&profile, &misspelt).is_empty());
    assert!(eni_harness::profile::Profile::parse(&misspelt, "p.yaml").is_err());
    let world = validator("world.schema.json");
    let lanes = eni_harness::profile::LANES_WORLD;
    assert_eq!(errors(&world, lanes), Vec::<String>::new());
    assert!(!errors(&world, &lanes.replace("credentials:", "credential:")).is_empty());
    let known = validator("known-failures.schema.json");
    assert!(!errors(&known, "known_failures:\n  - case: a\n    reasons: r\n").is_empty());
}
