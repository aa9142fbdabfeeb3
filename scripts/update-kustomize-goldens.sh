#!/usr/bin/env bash
# Regenerate every testdata/kustomize/*/expected.yaml with the oracle, `kubectl kustomize`
# (kubectl v1.32 embeds kustomize v5.5). Run from anywhere; needs kubectl on PATH (or $KUBECTL).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
kubectl="${KUBECTL:-kubectl}"
"$kubectl" version --client 2>/dev/null | sed 's/^/# /' >&2 || true
status=0
stderr="$(mktemp)"
trap 'rm -f "$stderr"' EXIT
for dir in "$root"/testdata/kustomize/*/; do
  dir="${dir%/}"
  [ -f "$dir/kustomization.yaml" ] || [ -f "$dir/kustomization.yml" ] || [ -f "$dir/Kustomization" ] || continue
  # expected.yaml is kubectl's stdout byte for byte (deprecation warnings go to stderr and are
  # left out), so cases can also be compared as text
  if out="$("$kubectl" kustomize --load-restrictor=LoadRestrictionsNone "$dir" 2>"$stderr")"; then
    printf '%s\n' "$out" > "$dir/expected.yaml"
    rm -f "$dir/expected-error.txt"
    echo "updated ${dir#"$root"/}/expected.yaml" >&2
  else
    # a case that kustomize rejects records its error instead (paths relative to the checkout,
    # so the file does not change with where the repository is cloned)
    sed -E -e 's/^E[0-9]{4} [0-9:. ]+[0-9]+ [a-z_.]+:[0-9]+\] //' -e "s#$root/##g" "$stderr" > "$dir/expected-error.txt"
    rm -f "$dir/expected.yaml"
    echo "recorded error for ${dir#"$root"/}" >&2
  fi
done
exit $status
