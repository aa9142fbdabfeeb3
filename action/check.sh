#!/usr/bin/env bash
# Runs fleetlint for the GitHub Action (action.yml, step "Check the fleet"): one
# `fleetlint check` that prints GitHub annotations (`--format github`), writes SARIF and a JSON
# report, and decides the exit status. The counts come from the JSON report's summary.
#
# With both INPUT_NEW_SINCE and INPUT_UPLOAD_SARIF=true, the SARIF for code scanning comes from a
# second run without --new-since: code scanning takes every upload as the full state of the
# ref (a finding missing from an upload is closed as fixed), and on a pull request it shows only
# the alerts the change introduces by itself. The annotations and the exit status still come from
# the --new-since run.
#
# Inputs (environment): INPUT_PATH, INPUT_CONFIG, INPUT_SOURCES (one KEY=PATH per line),
# INPUT_FAIL_ON, INPUT_BASELINE, INPUT_NEW_SINCE, INPUT_UPLOAD_SARIF, INPUT_ARGS, RUNNER_TEMP,
# GITHUB_OUTPUT. Outputs: errors, warnings, infos, exit-code, sarif-file, report-file.
set -uo pipefail

out_dir="${RUNNER_TEMP:?RUNNER_TEMP is not set}/fleetlint-report"
mkdir -p "$out_dir"
sarif="$out_dir/fleetlint.sarif"
report="$out_dir/fleetlint.json"
rm -f "$sarif" "$report"

common=()
if [[ -n ${INPUT_CONFIG:-} ]]; then
  common+=(--config "$INPUT_CONFIG")
fi
while IFS= read -r line || [[ -n $line ]]; do
  line="${line#"${line%%[![:space:]]*}"}"
  line="${line%"${line##*[![:space:]]}"}"
  if [[ -n $line && $line != \#* ]]; then
    common+=(--source "$line")
  fi
done <<<"${INPUT_SOURCES:-}"
if [[ -n ${INPUT_BASELINE:-} ]]; then
  common+=(--baseline "$INPUT_BASELINE")
fi
if [[ -n ${INPUT_ARGS:-} ]]; then
  read -r -a extra <<<"$INPUT_ARGS"
  common+=("${extra[@]}")
fi

full_sarif_run=false
if [[ -n ${INPUT_NEW_SINCE:-} && ${INPUT_UPLOAD_SARIF:-false} == true ]]; then
  full_sarif_run=true
fi

gate=(check "${INPUT_PATH:-.}" --format github --report "json=$report" ${common[@]+"${common[@]}"})
if [[ $full_sarif_run == false ]]; then
  gate+=(--report "sarif=$sarif")
fi
if [[ -n ${INPUT_FAIL_ON:-} ]]; then
  gate+=(--fail-on "$INPUT_FAIL_ON")
fi
if [[ -n ${INPUT_NEW_SINCE:-} ]]; then
  gate+=(--new-since "$INPUT_NEW_SINCE")
fi

echo "fleetlint ${gate[*]}"
fleetlint "${gate[@]}"
status=$?

if [[ $full_sarif_run == true && $status -ne 2 ]]; then
  echo "fleetlint check ${INPUT_PATH:-.} --format sarif (every finding, for code scanning)"
  fleetlint check "${INPUT_PATH:-.}" --quiet --fail-on none --format sarif --output "$sarif" ${common[@]+"${common[@]}"} ||
    echo "::warning title=fleetlint::the SARIF run for code scanning failed"
fi

{
  echo "exit-code=$status"
  if [[ -s $sarif ]]; then
    echo "sarif-file=$sarif"
  fi
  if [[ -s $report ]]; then
    echo "report-file=$report"
    if command -v jq >/dev/null 2>&1; then
      jq -r '.summary.findings | "errors=\(.error)\nwarnings=\(.warning)\ninfos=\(.info)"' "$report"
    else
      echo "::warning title=fleetlint::jq is not installed: the errors, warnings and infos outputs are empty" >&2
    fi
  fi
} >>"$GITHUB_OUTPUT"

exit "$status"
