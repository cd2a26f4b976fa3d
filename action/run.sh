#!/usr/bin/env bash
# The GitHub Action's step (action.yml at the repository root): runs the built-in suite against
# INPUT_TARGET with INPUT_PROFILE, writes the JUnit, JSON and Markdown reports to INPUT_REPORTS,
# appends the Markdown matrix to the job summary and the verdict line to the step's outputs.
# Exit status: eni-harness run's (0 passed, 1 a case failed, 2 usage or file errors).
#
# Environment: ENI_HARNESS (the binary; default `eni-harness` on PATH), INPUT_TARGET,
# INPUT_PROFILE, INPUT_REPORTS (default eni-harness-reports), INPUT_ARGS (split on spaces),
# GITHUB_STEP_SUMMARY and GITHUB_OUTPUT (optional, as GitHub sets them).
set -uo pipefail

bin=${ENI_HARNESS:-eni-harness}
target=${INPUT_TARGET:?the action needs the input target (the endpoint URL)}
profile=${INPUT_PROFILE:?the action needs the input profile (a profile file or built-in name)}
reports=${INPUT_REPORTS:-eni-harness-reports}
mkdir -p "$reports" || { echo "error: cannot create the reports folder $reports"; exit 2; }

# INPUT_ARGS is a flat list of words: flags and file names, no quoting.
read -r -a extra <<<"${INPUT_ARGS:-}"

log="$reports/console.txt"
"$bin" run --target "$target" --profile "$profile" --no-progress \
    --junit "$reports/junit.xml" --json "$reports/report.json" --markdown "$reports/matrix.md" \
    "${extra[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

verdict=$(grep -E '^(PASS|FAIL): ' "$log" | tail -n 1)
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    printf 'verdict=%s\n' "$verdict" >>"$GITHUB_OUTPUT"
fi
if [[ -n "${GITHUB_STEP_SUMMARY:-}" && -f "$reports/matrix.md" ]]; then
    {
        printf '### eni-harness: %s\n\n' "${verdict:-no verdict (exit $status)}"
        cat "$reports/matrix.md"
    } >>"$GITHUB_STEP_SUMMARY"
fi
exit "$status"
