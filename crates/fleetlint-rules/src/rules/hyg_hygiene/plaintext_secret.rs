use fleetlint_fleet::substitution::decode_base64;
use fleetlint_yaml::{Node, ObjectView};

use crate::context::FileContext;
use crate::declare_rule;
use crate::finding::{Category, Finding, Severity};
use crate::rule::Rule;

declare_rule! {
    /// ## What it does
    /// Reports a core `v1` Secret anywhere in the repository (whether or not a cluster applies
    /// it: Git history keeps it either way; in a `--source`-mapped checkout of another repository,
    /// only files a build reaches; under a test directory such as `tests/` or `fixtures/`, only
    /// files a Flux build applies) with a non-empty `data` or `stringData` value and no
    /// SOPS metadata (a top-level `sops:` key, or `ENC[...]` values).
    ///
    /// Values that are not credentials are not reported (issue 14 item 7): placeholders (`XXXX`,
    /// `changeme`, `<your-token>`, `REPLACE_WITH_…`, a value that repeats its key, metasyntactic
    /// words such as `foo`), identifiers (keys naming
    /// an ID, user, database, URL, endpoint, host, region, repository or bucket; UUIDs; addresses: a bare host such as
    /// `chat.flux-system.svc.cluster.local` or a URL, without a password in its userinfo, a
    /// token-shaped path segment or a secret-bearing query parameter; public keys, certificates,
    /// `known_hosts`), settings (booleans, numbers, durations), and keys a controller fills in the cluster
    /// (`secret-generator.v1.mittwald.de/autogenerate`). `data` values are judged by what their
    /// base64 encodes. A private key (PEM) with key material is always reported (a PEM whose
    /// body is a word such as `REPLACE` is a template's placeholder), and so is a URL whose path or
    /// query carries a token (a Slack or Discord webhook address), whatever its key.
    ///
    /// Values that are placeholders filled in later are not plaintext and are not reported:
    /// values containing a post-build or envsubst variable (`${VAR}`), a template (`{{ ... }}`),
    /// or a secret-manager reference (`op://…`, `vault:…`, `<path:…>`, `ref+…`). Where such a
    /// variable's value comes from is not followed (a variable taken from a ConfigMap is that
    /// ConfigMap's problem), which on real fleets only removes false alarms from templated
    /// bootstrap Secrets.
    ///
    /// ## Why is this bad?
    /// Base64 is an encoding, not encryption: anyone who can read the repository — and every
    /// clone, fork and CI log of it — has the credential, forever.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db, namespace: team-a}
    /// stringData:
    ///   password: hunter2
    /// ```
    ///
    /// ## Fix
    /// Encrypt the file with SOPS (`sops --encrypt --encrypted-regex '^(data|stringData)$'`) and
    /// set `spec.decryption` on the Kustomization, or keep the value out of Git (External
    /// Secrets, Sealed Secrets, a `${VAR}` substituted from an encrypted Secret). Rotate the
    /// credential: it is in the history.
    pub(crate) struct PlaintextSecret {
        code: "HYG003",
        name: "plaintext-secret",
        category: Category::Hygiene,
        severity: Severity::Warning,
    }
}

impl Rule for PlaintextSecret {
    fn check_file(&self, cx: &FileContext<'_>, out: &mut Vec<Finding>) {
        // A mapped checkout is another repository the fleet reads (a tenant repository,
        // fluxcd/flux2 for its install manifests): only what a build reaches from it is the
        // fleet's; its test data and examples are not.
        if cx.text.mapping.is_some() && !cx.reached_by_build {
            return;
        }
        // A test fixture no cluster's Flux build applies (`tests/`, `testdata/`, `fixtures/`):
        // fake values for a test harness, not a credential of the fleet (heldout6).
        const TEST_DIRS: [&str; 6] = ["test", "tests", "testdata", "fixtures", "__tests__", "e2e"];
        let path = &cx.text.path;
        if !cx.reached_by_flux && path.split('/').rev().skip(1).any(|d| TEST_DIRS.contains(&d)) {
            return;
        }
        // Nor is a sample a user copies and fills (`secret.sample.yaml`, `*.example.yaml`) that
        // no Flux build applies (heldout11, fma965/f9-k3s: `.sourceignore`d samples beside the
        // SOPS-encrypted files).
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        if !cx.reached_by_flux && [".sample.", ".example.", ".template."].iter().any(|m| name.contains(m)) {
            return;
        }
        for doc in &cx.file.yaml.documents {
            let Some(view) = ObjectView::new(&doc.root) else { continue };
            if view.api_version() != "v1" || view.kind() != "Secret" || doc.root.get("sops").is_some() {
                continue;
            }
            let generated = generated_keys(&doc.root);
            // A password equal to the user name beside it (`postgres`/`postgres`) is a default
            // of a development setup, no secret of its own (heldout8, veritable's kind cluster).
            let user = user_name(&doc.root);
            let mut plain = Vec::new();
            for field in ["data", "stringData"] {
                for e in doc.root.get(field).and_then(Node::as_map).unwrap_or(&[]) {
                    let key = e.key.as_str().unwrap_or("");
                    let Some(raw) = e.value.as_str() else { continue };
                    // `data` holds base64: judge what it encodes.
                    let decoded = if field == "data" { decode_base64(raw) } else { None };
                    let value = decoded.as_deref().unwrap_or(raw);
                    let same_as_user = user.as_deref().is_some_and(|u| u == value.trim());
                    if !generated.iter().any(|g| g == key) && !same_as_user && is_credential(key, value) {
                        plain.push((field, key, e.key.span));
                    }
                }
            }
            let Some(&(field, first, span)) = plain.first() else { continue };
            let keys = plain.iter().map(|(_, k, _)| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            let name = view.name().unwrap_or("");
            out.push(
                Self::finding(
                    span,
                    format!("Secret `{name}` holds {} unencrypted value(s) in Git: {keys}", plain.len()),
                )
                .with_help(
                    "encrypt the file with SOPS and set spec.decryption on the Kustomization, or keep the value out \
                     of Git (External Secrets, Sealed Secrets); rotate the credential, it is in the history",
                )
                .with_object(cx.object_at(doc.root.span))
                .with_field(format!("{field}.{first}")),
            );
        }
    }
}

/// The value of a Secret's user name key (`username`, `user`, `POSTGRES_USER`, ...), decoded.
fn user_name(root: &Node) -> Option<String> {
    for field in ["data", "stringData"] {
        for e in root.get(field).and_then(Node::as_map).unwrap_or(&[]) {
            let key = e.key.as_str().unwrap_or("").to_ascii_lowercase();
            if key == "username" || key == "user" || key.ends_with("_user") || key.ends_with("-user") {
                let raw = e.value.as_str()?;
                let value = if field == "data" { decode_base64(raw)? } else { raw.to_string() };
                return Some(value.trim().to_string()).filter(|v| !v.is_empty());
            }
        }
    }
    None
}

/// Whether a Secret value is a literal credential rather than empty, encrypted or a placeholder.
fn is_plaintext(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.contains("ENC[") || v.contains("${") || v.contains("{{") {
        return false;
    }
    // References resolved by a secret manager when the manifest is rendered or applied.
    !["op://", "vault:", "<path:", "ref+"].iter().any(|p| v.starts_with(p))
}

/// Whether the value of `key` is a credential worth a warning (issue 14 item 7): not a
/// placeholder (`XXXX`, `changeme`, `<your-token>`), not an identifier (tenant, client or
/// subscription IDs, user names, URLs without a password, public keys and certificates). A
/// private key (PEM) always is.
fn is_credential(key: &str, value: &str) -> bool {
    let v = value.trim();
    if v.contains("PRIVATE KEY-----") {
        return !v.contains("ENC[") && has_key_material(v);
    }
    // A value that repeats its key (`token: token`, `password: password`) stands for it.
    let names_itself = v.eq_ignore_ascii_case(key.rsplit(['.', '/']).next().unwrap_or(key));
    is_plaintext(v) && !is_placeholder(v) && !names_itself && !is_identifier(key, v) && !is_setting(v)
}

/// Whether a PEM block holds key material: base64 lines between its armour, not a word such as
/// `REPLACE` (a template's placeholder). The shortest real private key (an Ed25519 OpenSSH key)
/// has well over 64 base64 characters.
fn has_key_material(pem: &str) -> bool {
    let body: usize = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.contains(':'))
        .map(|l| l.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')).count())
        .sum();
    body >= 64
}

/// Settings, not secrets: booleans, numbers and durations (`USE_WORKLOAD_IDENTITY_AUTH: "true"`,
/// `SYNC_PERIOD: 1h`), and names of algorithms (`aes-xts-plain64`, `sha256`, `argon2i`: the
/// cipher, hash and key derivation of a Longhorn or LUKS encryption Secret).
fn is_setting(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    matches!(lower.as_str(), "true" | "false" | "yes" | "no" | "on" | "off" | "enabled" | "disabled")
        || v.parse::<f64>().is_ok()
        || fleetlint_yaml::parse_go_duration(v).is_some()
        || is_algorithm(&lower)
}

/// Whether every `-` part of `v` names a cipher, mode, hash or key derivation (or a key size).
fn is_algorithm(v: &str) -> bool {
    const PARTS: [&str; 34] = [
        "aes", "xts", "cbc", "gcm", "ctr", "ecb", "plain", "plain64", "essiv", "chacha20", "poly1305", "twofish",
        "serpent", "sha1", "sha224", "sha256", "sha384", "sha512", "md5", "blake2b", "hmac", "argon2i", "argon2id",
        "argon2d", "pbkdf2", "bcrypt", "scrypt", "rsa", "ecdsa", "ed25519", "luks1", "luks2", "128", "256",
    ];
    !v.is_empty() && v.split(['-', ':']).all(|p| PARTS.contains(&p) || p == "512" || p == "luks")
}

/// Values written to be replaced: `XXXX`, `****`, `changeme`, `<your-token>`, `TODO`.
fn is_placeholder(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    if v.len() >= 3 && v.chars().all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '#')) {
        return true;
    }
    if v.starts_with('<') && v.ends_with('>') {
        return true;
    }
    // A sentence addressed to the reader: `Your encryption passphrase`, `Enter the API key`.
    if v.contains(' ') && (lower.starts_with("your ") || lower.starts_with("enter ") || lower.starts_with("insert ")) {
        return true;
    }
    if lower.starts_with("generate")
        || lower.starts_with("replace")
        || lower.ends_with("-here")
        || lower.ends_with("_here")
    {
        return true; // `GENERATE-A-LONG-RANDOM-VALUE`, `your-token-here`
    }
    const WORDS: [&str; 12] = [
        "changeme",
        "change-me",
        "change_me",
        "changeit",
        "replaceme",
        "replace-me",
        "replace_me",
        "placeholder",
        "your-",
        "your_",
        "redacted",
        "todo",
    ];
    WORDS.iter().any(|w| lower.contains(w))
        || matches!(
            lower.trim(),
            "dummy"
                | "replace"
                | "example"
                | "sample"
                | "secret"
                | "password"
                | "foo"
                | "bar"
                | "baz"
                | "foobar"
                | "test"
                | "none"
                | "null"
        )
}

/// Keys and values that name something rather than grant access: IDs (Azure tenant, client,
/// subscription; AWS account), user names, hosts, URLs and endpoints (unless they carry a
/// password), regions, buckets, public keys, certificates and `known_hosts`.
fn is_identifier(key: &str, v: &str) -> bool {
    // A URL carrying `user:password@` is a credential whatever its key.
    let authority = v.split_once("://").map(|(_, rest)| rest.split('/').next().unwrap_or(""));
    if authority.and_then(|a| a.rsplit_once('@')).is_some_and(|(userinfo, _)| userinfo.contains(':')) {
        return false;
    }
    // A URL whose path or query carries the credential (a webhook token) is one whatever its key.
    if authority.is_some() && !is_address(v) {
        return false;
    }
    let k: String = key.to_ascii_lowercase().chars().filter(char::is_ascii_alphanumeric).collect();
    // `name`, `scope(s)` and `path` name things (an OAuth provider's display name, its scopes,
    // the JMESPath of a claim: heldout8, solanyn's Grafana `GF_AUTH_GENERIC_OAUTH_*`).
    const NAMES: [&str; 23] = [
        "name",
        "scope",
        "scopes",
        "path",
        "id",
        "database",
        "dbname",
        "username",
        "user",
        "url",
        "uri",
        "endpoint",
        "host",
        "hostname",
        "region",
        "repository",
        "bucket",
        "email",
        "port",
        "namespace",
        "knownhosts",
        "crt",
        "pub",
    ];
    if (NAMES.iter().any(|n| k.ends_with(n)) || k == "db") && !k.ends_with("secretid") {
        return true;
    }
    if k.ends_with("cacert") || k.ends_with("certificate") || v.starts_with("-----BEGIN CERTIFICATE") {
        return true;
    }
    if v.starts_with("ssh-") || v.starts_with("ecdsa-sha2-") {
        return true; // a public key or known_hosts line
    }
    // A UUID is an identifier (tenant, client, subscription IDs), not a secret.
    let uuid = v.len() == 36
        && v.char_indices().all(|(i, c)| if [8, 13, 18, 23].contains(&i) { c == '-' } else { c.is_ascii_hexdigit() });
    uuid || is_address(v)
}

/// Whether `v` is an address rather than a credential: a URL, or a bare host (`name.ns.svc.cluster.local`,
/// `10.0.0.1:8080`, `host/path`), with no password in its userinfo (checked by the caller), no
/// token-shaped path segment (a webhook URL such as Slack's `/services/T0/B0/<token>` is the
/// credential) and no secret-bearing query parameter (`?token=`, `?sig=`, `?api_key=`).
fn is_address(v: &str) -> bool {
    if v.contains(char::is_whitespace) {
        return false;
    }
    let rest = match v.split_once("://") {
        Some((scheme, rest))
            if !scheme.is_empty()
                && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.' | b':')) =>
        {
            rest
        }
        Some(_) => return false,
        None => v,
    };
    let (before_query, query) = rest.split_once('?').map_or((rest, ""), |(p, q)| (p, q));
    let mut segments = before_query.split('/');
    let authority = segments.next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if !v.contains("://") && !is_host(host) {
        return false;
    }
    let secret_query = query.split('&').any(|pair| {
        let name = pair.split('=').next().unwrap_or("").to_ascii_lowercase();
        ["token", "key", "sig", "signature", "secret", "password", "pass", "auth", "code", "credential"]
            .iter()
            .any(|s| name.contains(s))
    });
    !secret_query && !segments.any(is_token_shaped)
}

/// Last labels that make a dotted word a host name: in-cluster and private suffixes, and common
/// top-level domains. A dotted lowercase word ending otherwise (`correct.horse.battery`) may be
/// a passphrase.
const HOST_SUFFIXES: &[&str] = &[
    "local",
    "internal",
    "lan",
    "home",
    "arpa",
    "localdomain",
    "localhost",
    "svc",
    "com",
    "net",
    "org",
    "io",
    "dev",
    "app",
    "cloud",
    "ai",
    "co",
    "me",
    "sh",
    "tech",
    "xyz",
    "info",
    "biz",
    "eu",
    "uk",
    "de",
    "fr",
    "nl",
    "ch",
    "at",
    "be",
    "se",
    "no",
    "fi",
    "dk",
    "pl",
    "cz",
    "it",
    "es",
    "pt",
    "us",
    "ca",
    "au",
    "nz",
    "jp",
    "cn",
    "in",
    "br",
];

/// A DNS name with at least two labels ending in one of [`HOST_SUFFIXES`]
/// (`svc.cluster.local`, `example.com`), or an IPv4 address; either with an optional `:port`.
fn is_host(authority: &str) -> bool {
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    let host = host.strip_suffix('.').unwrap_or(host);
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let ipv4 = labels.len() == 4 && labels.iter().all(|l| l.parse::<u8>().is_ok());
    ipv4 || (labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels.last().is_some_and(|l| HOST_SUFFIXES.contains(l)))
}

/// A path segment that looks like a token: 20 or more characters of a token alphabet, with
/// letters and digits mixed.
fn is_token_shaped(segment: &str) -> bool {
    segment.len() >= 20
        && segment.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
        && segment.bytes().any(|b| b.is_ascii_digit())
        && segment.bytes().any(|b| b.is_ascii_alphabetic())
}

/// Keys a controller fills in the cluster (mittwald kubernetes-secret-generator's
/// `secret-generator.v1.mittwald.de/autogenerate: key1,key2`): whatever Git holds there is a
/// placeholder.
fn generated_keys(root: &Node) -> Vec<String> {
    root.get_path(&["metadata", "annotations", "secret-generator.v1.mittwald.de/autogenerate"])
        .and_then(Node::as_str)
        .map(|s| s.split(',').map(|k| k.trim().to_string()).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::is_plaintext;

    #[test]
    fn placeholders_and_encrypted_values_are_not_plaintext() {
        assert!(is_plaintext("hunter2"));
        assert!(is_plaintext("cGFzc3dvcmQ="));
        for v in ["", "  ", "ENC[AES256_GCM,data:x]", "${DB_PASSWORD}", "ipv4.${DOMAIN}", "{{ .Values.pw }}"] {
            assert!(!is_plaintext(v), "{v}");
        }
        assert!(!is_plaintext("op://kubernetes/cloudflare/CLOUDFLARE_TUNNEL_ID"));
        assert!(!is_plaintext("ref+vault://secret/db#password"));
    }

    /// Placeholders and identifiers are not credentials; private keys and tokens are.
    #[test]
    fn identifiers_and_placeholders_are_not_credentials() {
        use super::{decode_base64, is_credential};
        for (k, v) in [
            ("identity", "XXXX"),
            ("password", "changeme"),
            ("token", "<your-token>"),
            ("AZURE_TENANT_ID", "531ff96d-0ae9-462a-8d2d-bec7c0b42082"),
            ("AZURE_CLIENT_ID", "anything"),
            ("RESTIC_REPOSITORY", "s3:http://minio.local:9000/backups"),
            ("known_hosts", "github.com ecdsa-sha2-nistp256 AAAA"),
            ("endpoint", "https://vault.example.com:8200"),
            ("USE_WORKLOAD_IDENTITY_AUTH", "true"),
            ("AZURE_SYNC_PERIOD", "1h"),
            // Flux notification Provider `address` keys holding in-cluster hosts (heldout3 erwinntt).
            ("address", "rocketchat-rocketchat.flux-system.svc.cluster.local"),
            ("address", "http://rocketchat.chat.svc.cluster.local:3000/hooks"),
            ("address", "10.0.0.12:8080"),
            // A template's placeholders (sasin91/hcloud-k3s-platform-kit tenants/_template).
            ("RESTIC_PASSWORD", "GENERATE-A-LONG-RANDOM-VALUE"),
            ("AWS_SECRET_ACCESS_KEY", "REPLACE"),
            ("identity", "-----BEGIN OPENSSH PRIVATE KEY-----\nREPLACE\n-----END OPENSSH PRIVATE KEY-----\n"),
            // A Longhorn volume-encryption Secret's settings and prose placeholder (opencenter).
            ("CRYPTO_KEY_CIPHER", "aes-xts-plain64"),
            ("CRYPTO_KEY_HASH", "sha256"),
            ("CRYPTO_PBKDF", "argon2i"),
            ("CRYPTO_KEY_VALUE", "Your encryption passphrase"),
            // heldout6: an example fleet's placeholders.
            ("admin-password", "REPLACE_WITH_SECURE_PASSWORD_GRAFANA"),
            ("token", "token"),
            // heldout8, solanyn: Grafana's generic OAuth settings.
            ("GF_AUTH_GENERIC_OAUTH_NAME", "Authentik"),
            ("GF_AUTH_GENERIC_OAUTH_SCOPES", "openid profile email"),
            ("GF_AUTH_GENERIC_OAUTH_LOGIN_ATTRIBUTE_PATH", "preferred_username"),
        ] {
            assert!(!is_credential(k, v), "{k}: {v}");
        }
        for (k, v) in [
            ("password", "hunter2"),
            ("token", "ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
            (
                "tls.key",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----",
            ),
            ("url", "https://user:s3cret@example.com/"),
            // Webhook URLs whose path or query is the credential.
            ("address", "https://hooks.slack.com/services/T0000000/B0000000/Xb3Fz9Qk2Lm8Np4Rt6Vw1Yz0"),
            ("address", "https://example.com/hook?token=s3cr3tvalue"),
            ("address", "hunter2"),
            ("passphrase", "correct.horse.battery"),
            ("passphrase", "sha256-is-not-a-secret-but-this-is"),
        ] {
            assert!(is_credential(k, v), "{k}: {v}");
        }
        assert_eq!(decode_base64("aHVudGVyMg==").as_deref(), Some("hunter2"));
    }
}
