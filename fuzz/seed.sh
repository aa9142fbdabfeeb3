#!/usr/bin/env bash
# Seed the fuzz corpora from the repository's testdata (run from the repository root or fuzz/):
#   yaml_loader         every YAML file of testdata (up to 64 KiB)
#   kustomize_resolver  every directory of testdata/kustomize as a tree (`=== path` + text)
#   substitution        every YAML file of testdata that holds `${` (`=== subst` + text)
# libFuzzer then keeps what adds coverage; `cargo fuzz cmin` shrinks a corpus before commit.
set -euo pipefail
cd "$(dirname "$0")"
seeds=seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{yaml_loader,kustomize_resolver,substitution,kyverno_policy}
n=0
while IFS= read -r -d '' f; do
  n=$((n + 1))
  [ "$(stat -c %s "$f")" -le 65536 ] && cp "$f" "$seeds/yaml_loader/$n.yaml"
  if grep -q '\${' "$f"; then
    { printf '=== subst\n'; cat "$f"; } > "$seeds/substitution/$n.txt"
  fi
done < <(find ../testdata -type f \( -name '*.yaml' -o -name '*.yml' -o -name Kustomization \) -print0 | sort -z)
for dir in ../testdata/kustomize/*/; do
  name=$(basename "$dir")
  out="$seeds/kustomize_resolver/$name.tree"
  : > "$out"
  while IFS= read -r -d '' f; do
    rel=${f#"$dir"}
    printf '=== %s\n' "$rel" >> "$out"
    cat "$f" >> "$out"
    [ -n "$(tail -c1 "$f")" ] && printf '\n' >> "$out"
  done < <(find "$dir" -type f \( -name '*.yaml' -o -name '*.yml' -o -name Kustomization \) ! -path '*/expected*' -print0 | sort -z)
done
# Substitution expressions of every operator Flux supports.
printf '=== subst\n${a} ${b:=d} ${c:-x${a}} ${#a} ${a:1:2} ${a^} ${a^^} ${a,,} ${a#p} ${a##p} ${a%%s} ${a/x/y} ${a//x/y} $${lit}\n=== vars\na=hello\nb=\n' \
  > "$seeds/substitution/operators.txt"
# Kyverno: every ClusterPolicy/Policy document of testdata and ../../shared/corpus (when present),
# each paired with every object of testdata/policies (`=== policy` + policy + `=== object` + object).
objects=()
while IFS= read -r -d '' f; do objects+=("$f"); done < <(find ../testdata/policies -type f -name '*.yaml' -print0 | sort -z | head -z -n 12)
policy_files=$(grep -rlE '^kind: (Cluster)?Policy$' ../testdata ../../shared/corpus 2>/dev/null | sort | head -n 40 || true)
p=0
for pf in $policy_files; do
  p=$((p + 1))
  o=0
  for of in "${objects[@]}"; do
    o=$((o + 1))
    { printf '=== policy\n'; cat "$pf"; printf '\n=== object\n'; cat "$of"; } > "$seeds/kyverno_policy/$p-$o.txt"
  done
done
echo "seeds: $(ls "$seeds/kyverno_policy" | wc -l) kyverno, $(ls "$seeds/yaml_loader" | wc -l) yaml, $(ls "$seeds/kustomize_resolver" | wc -l) trees, $(ls "$seeds/substitution" | wc -l) substitutions"
