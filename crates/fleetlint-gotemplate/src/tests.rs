//! Execution tests: the behaviours golang/go:src/text/template/exec_test.go checks (own cases),
//! slim-sprig functions as the Flux Operator installs them, and the output-to-template map.

use serde_json::json;

use crate::{ErrorKind, Options, Template, Value};

fn go(tpl: &str, data: &serde_json::Value) -> Result<String, crate::TemplateError> {
    let t = Template::parse(tpl, Options::go_default())?;
    t.execute(&Value::from_api_json(data), &Value::Nil).map(|r| r.text)
}

fn flux(tpl: &str, inputs: &serde_json::Value) -> Result<String, crate::TemplateError> {
    let t = Template::parse(tpl, Options::flux_operator())?;
    t.execute(&Value::Nil, &Value::from_api_json(inputs)).map(|r| r.text)
}

fn ok(tpl: &str, data: &serde_json::Value) -> String {
    go(tpl, data).unwrap_or_else(|e| panic!("{tpl}: {e}"))
}

fn fok(tpl: &str, inputs: &serde_json::Value) -> String {
    flux(tpl, inputs).unwrap_or_else(|e| panic!("{tpl}: {e}"))
}

fn err(r: Result<String, crate::TemplateError>) -> crate::TemplateError {
    r.expect_err("an error")
}

#[test]
fn text_fields_and_missing_keys() {
    let d = json!({"x": 1, "s": "str", "m": {"k": "v"}, "n": null});
    assert_eq!(ok("hello", &d), "hello");
    assert_eq!(ok("{{.x}} {{.s}} {{.m.k}}", &d), "1 str v");
    assert_eq!(ok("{{.missing}}", &d), "<no value>");
    assert_eq!(ok("{{.n}}|{{print .n}}|{{print nil}}", &d), "<no value>|<nil>|<nil>");
    assert_eq!(ok("{{.}}", &json!(null)), "<no value>");
    let e = err(go("{{.s.x}}", &d));
    assert_eq!(e.message, "can't evaluate field x in type string");
    assert_eq!(e.kind, ErrorKind::Exec);
    assert_eq!(err(go("{{.m.k 1}}", &d)).message, "k is not a method but has arguments");
    assert_eq!(err(go("{{3 4}}", &d)).message, "can't give argument to non-function 3");
    assert_eq!(err(go("{{nil}}", &d)).message, "nil is not a command");
    assert_eq!(err(go("{{.n.x}}", &d)).message, "nil pointer evaluating interface {}.x");
}

#[test]
fn missingkey_error_as_the_flux_operator_sets_it() {
    let i = json!({"tenant": "a", "nested": {"x": 1}});
    assert_eq!(fok("<< inputs.tenant >>", &i), "a");
    let tpl = "x\n  << inputs.nope >>";
    let e = err(flux(tpl, &i));
    assert_eq!(e.message, "map has no entry for key \"nope\"");
    assert_eq!((e.position.line, e.position.column), (2, 6));
    assert_eq!(&tpl[e.span.clone()], "<< inputs.nope >>");
    assert_eq!(err(flux("<< inputs.nested.nope >>", &i)).message, "map has no entry for key \"nope\"");
    // The data (dot) is nil: only `inputs` reaches the input set.
    assert_eq!(err(flux("<< .tenant >>", &i)).message, "nil data; no entry for key \"tenant\"");
    assert_eq!(fok("<< get inputs \"nope\" | default \"d\" >>", &i), "d");
    assert_eq!(fok("<< index inputs \"nope\" >>", &i), "<no value>");
    assert_eq!(fok("<< inputs >>", &json!({})), "map[]");
}

#[test]
fn conditionals_and_with() {
    let d = json!({"t": true, "l": [1], "e": [], "m": {"k": "v"}, "z": 0});
    assert_eq!(ok("{{if .t}}a{{else}}b{{end}}", &d), "a");
    assert_eq!(ok("{{if 0}}a{{else if \"\"}}b{{else if .e}}c{{else if .l}}d{{end}}", &d), "d");
    assert_eq!(ok("{{with .m}}{{.k}}{{end}}", &d), "v");
    assert_eq!(ok("{{with .z}}a{{else with .m}}{{.k}}{{end}}", &d), "v");
    assert_eq!(ok("{{with .z}}a{{else}}{{.z}}{{end}}", &d), "0");
    assert_eq!(ok("{{if $x := .m}}{{$x.k}}{{else}}{{$x}}{{end}}", &d), "v");
}

#[test]
fn ranges() {
    let d = json!({"l": ["a", "b"], "m": {"b": 2, "a": 1}, "e": [], "n": [1, 2, 3, 4, 5]});
    assert_eq!(ok("{{range $i, $v := .l}}{{$i}}={{$v}},{{end}}", &d), "0=a,1=b,");
    assert_eq!(ok("{{range $k, $v := .m}}{{$k}}={{$v}},{{end}}", &d), "a=1,b=2,");
    assert_eq!(ok("{{range .m}}{{.}}{{end}}", &d), "12");
    assert_eq!(ok("{{range .e}}x{{else}}empty{{end}}", &d), "empty");
    assert_eq!(ok("{{range .missing}}x{{else}}nil{{end}}", &d), "nil");
    assert_eq!(ok("{{range 3}}{{.}}{{end}}", &d), "012");
    assert_eq!(ok("{{range $v := 2}}{{$v}}{{end}}", &d), "01");
    assert_eq!(
        err(go("{{range $i, $v := 3}}{{end}}", &d)).message,
        "can't use 3 to iterate over more than one variable"
    );
    assert_eq!(err(go("{{range \"ab\"}}{{end}}", &d)).message, "range can't iterate over ab");
    assert_eq!(ok("{{range .n}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}", &d), "13");
    assert_eq!(ok("{{range .l}}{{$.l}}{{end}}", &d), "[a b][a b]");
    assert_eq!(ok("{{$x := 0}}{{range $x = .l}}{{end}}{{$x}}", &d), "b");
}

#[test]
fn variables_are_scoped() {
    let d = json!({"l": [1, 2]});
    assert_eq!(ok("{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}", &d), "2");
    assert_eq!(ok("{{$x := 1}}{{range .l}}{{$x := 5}}{{$x}}{{end}}{{$x}}", &d), "551");
    assert_eq!(err(go("{{if true}}{{$y := 1}}{{end}}{{$y}}", &d)).kind, ErrorKind::Parse);
}

#[test]
fn pipelines_chains_and_literals() {
    let d = json!({"s": "x", "l": [{"k": "first"}], "f": 1.5});
    assert_eq!(ok("{{.s | printf \"%s-%s\" \"a\"}}", &d), "a-x");
    assert_eq!(ok("{{(len .l) | printf \"%03d\"}}", &d), "001");
    assert_eq!(ok("{{(index .l 0).k}}", &d), "first");
    assert_eq!(ok("{{print 1 2 \"a\" 3 1.5 1e3 0x10 'a' true}}", &d), "1 2a3 1.5 1000 16 97 true");
    assert_eq!(ok("{{.f}}", &d), "1.5");
    assert_eq!(ok("{{`raw\\n`}}", &d), "raw\\n");
}

#[test]
fn logic_and_comparison() {
    let d = json!({"n": null, "i": 3});
    assert_eq!(ok("{{and 1 0 \"x\"}} {{and 1 2}} {{or 0 \"\" \"y\"}} {{or 0 \"\"}}", &d), "0 2 y ");
    // and/or short-circuit: the failing `index` is never evaluated.
    assert_eq!(ok("{{or true (index nil 0)}}", &d), "true");
    assert_eq!(ok("{{not 0}} {{not .n}} {{not \"a\"}}", &d), "true true false");
    assert_eq!(
        ok("{{eq 3 1 2 3}} {{eq .i 3}} {{ne .i 3}} {{eq .n \"x\"}} {{eq nil nil}}", &d),
        "true true false false true"
    );
    assert_eq!(ok("{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1.5 2.5}}", &d), "true true true false");
    assert_eq!(
        err(go("{{eq \"a\" 1}}", &d)).message,
        "error calling eq: incompatible types for comparison: string and int"
    );
    assert_eq!(
        err(go("{{lt 1.5 2}}", &d)).message,
        "error calling lt: incompatible types for comparison: float64 and int"
    );
    assert!(err(go("{{lt true false}}", &d)).message.contains("invalid type for comparison"));
    assert_eq!(err(go("{{eq 1}}", &d)).message, "error calling eq: missing argument for comparison");
}

#[test]
fn builtin_functions() {
    let d = json!({"m": {"k": "v"}, "l": [10, 20], "s": "héllo"});
    assert_eq!(ok("{{len .s}} {{len .l}} {{len .m}}", &d), "6 2 1");
    assert_eq!(ok("{{index .m \"k\"}} {{index .l 1}} {{index .m \"x\"}}", &d), "v 20 <no value>");
    assert_eq!(err(go("{{index .l 5}}", &d)).message, "error calling index: index out of range: 5");
    assert_eq!(ok("{{slice \"abcd\" 1 3}} {{slice .l 1}}", &d), "bc [20]");
    assert_eq!(ok("{{printf \"%v %q %5.2f %t %d%%\" .l \"x\" 1.23456 true 7}}", &d), "[10 20] \"x\"  1.23 true 7%");
    assert_eq!(
        ok("{{html \"<a&'b'>\"}} {{urlquery \"a b&c\"}} {{js \"a'b<\"}}", &d),
        "&lt;a&amp;&#39;b&#39;&gt; a+b%26c a\\'b\\u003C"
    );
    assert_eq!(ok("{{println 1 2}}", &d), "1 2\n");
    assert_eq!(err(go("{{call .m}}", &d)).kind, ErrorKind::Exec);
}

#[test]
fn argument_types_follow_go() {
    let i = json!({"n": 3, "s": "a"});
    assert_eq!(err(go("{{printf 3}}", &json!({}))).message, "expected string; found 3");
    assert_eq!(err(flux("<< until inputs.n >>", &i)).message, "wrong type for value; expected int; got int64");
    assert_eq!(fok("<< until (int inputs.n) >>", &i), "[0 1 2]");
    assert_eq!(err(flux("<< upper inputs.n >>", &i)).message, "wrong type for value; expected string; got int64");
    assert_eq!(err(flux("<< upper >>", &i)).message, "wrong number of args for upper: want 1 got 0");
    assert_eq!(err(flux("<< repeat 2 >>", &i)).message, "wrong number of args for repeat: want 2 got 1");
    assert_eq!(fok("<< inputs.s | repeat 2 >>", &i), "aa");
    assert_eq!(err(flux("<< upper nil >>", &i)).message, "cannot assign nil to string");
}

#[test]
fn trim_markers_comments_and_templates() {
    let d = json!({});
    assert_eq!(ok("a  {{- 1 -}}  b", &d), "a1b");
    assert_eq!(ok("a{{/* c */}}b{{- /* d */ -}} c", &d), "abc");
    assert_eq!(ok("{{define \"x\"}}[{{.}}]{{end}}{{template \"x\" 1}}{{template \"x\"}}", &d), "[1][<no value>]");
    assert_eq!(ok("{{block \"y\" 2}}b{{.}}{{end}}", &d), "b2");
    assert_eq!(err(go("{{template \"nope\"}}", &d)).message, "template \"nope\" not defined");
    assert_eq!(err(go("{{$x := 1}}{{define \"t\"}}{{$x}}{{end}}", &d)).kind, ErrorKind::Parse);
    let e = err(go("{{define \"r\"}}{{template \"r\"}}{{end}}{{template \"r\"}}", &d));
    assert_eq!(e.kind, ErrorKind::Limit);
}

#[test]
fn more_go_exec_behaviours() {
    let d = json!({"a": {"b": {"c": 1}}, "t": true, "f": false, "n": null, "l": [1, 2]});
    // `$` inside an invoked template is that template's dot.
    assert_eq!(ok("{{define \"x\"}}{{$}}/{{.}}{{end}}{{template \"x\" 3}}", &d), "3/3");
    assert_eq!(ok("{{index . \"a\" \"b\" \"c\"}}", &d), "1");
    assert_eq!(ok("{{if and .t (not .f)}}yes{{end}}", &d), "yes");
    assert_eq!(ok("{{print}}|{{printf \"%s\" .n}}|{{printf \"%v\" .l}}", &d), "|%!s(<nil>)|[1 2]");
    assert_eq!(ok("{{with $x := .a.b}}{{$x.c}}{{end}}", &d), "1");
    assert_eq!(ok("{{range $i, $e := .l}}{{if $i}},{{end}}{{$e}}{{end}}", &d), "1,2");
    assert_eq!(ok("{{\"\\u0041\\x42\"}}", &d), "AB");
    assert_eq!(err(go("{{len .n}}", &d)).message, "error calling len: len of nil pointer");
    assert_eq!(
        err(go("{{index .l \"x\"}}", &d)).message,
        "error calling index: cannot index slice/array with type string"
    );
    assert_eq!(ok("{{- /* only a comment */ -}}", &d), "");
}

#[test]
fn parse_errors_name_the_place() {
    let e = err(flux("ok\n<< merge (dict) (dict) >>", &json!({})));
    assert_eq!(e.kind, ErrorKind::Parse);
    assert_eq!(e.message, "function \"merge\" not defined");
    assert_eq!((e.position.line, e.position.column), (2, 4));
    assert_eq!(err(flux("<< now >>", &json!({}))).message, "function \"now\" not defined");
    assert_eq!(err(flux("<< if true >>", &json!({}))).message, "unexpected EOF");
    assert_eq!(err(flux("<< inputs.x", &json!({}))).message, "unclosed action");
}

#[test]
fn unsupported_functions_are_typed() {
    let e = err(flux("<< randInt 1 5 >>", &json!({})));
    assert_eq!(e.kind, ErrorKind::Unsupported { function: "randInt".into() });
    assert!(!e.kind.is_certain());
    // Not evaluated when not reached.
    assert_eq!(fok("<< if false >><< randInt 1 2 >><< end >>x", &json!({})), "x");
}

#[test]
fn sprig_strings() {
    let i = json!({"n": 3, "name": "Hello World"});
    assert_eq!(fok("<< inputs.n | quote >> << squote \"a\" >> << quote nil >>", &i), "\"3\" 'a' ");
    assert_eq!(fok("<< title \"hello world\" >>|<< upper \"ab\" >>|<< lower \"AB\" >>", &i), "Hello World|AB|ab");
    assert_eq!(fok("<< trunc 3 \"abcdef\" >>|<< trunc -2 \"abcdef\" >>|<< substr 1 3 \"abcdef\" >>", &i), "abc|ef|bc");
    assert_eq!(
        fok(
            "<< trim \"  a \" >>|<< trimAll \"$\" \"$$a$\" >>|<< trimPrefix \"a\" \"ab\" >>|<< trimSuffix \"b\" \"ab\" >>",
            &i
        ),
        "a|a|b|a"
    );
    assert_eq!(
        fok("<< contains \"b\" \"abc\" >> << hasPrefix \"a\" \"abc\" >> << hasSuffix \"c\" \"abc\" >>", &i),
        "true true true"
    );
    assert_eq!(
        fok("<< replace \"-\" \"_\" \"a-b-c\" >>|<< cat \"a\" nil 1 >>|<< repeat 3 \"x\" >>", &i),
        "a_b_c|a 1|xxx"
    );
    assert_eq!(fok("<< \"a\\nb\" | indent 2 >>|<< \"a\" | nindent 2 >>", &i), "  a\n  b|\n  a");
    assert_eq!(fok("<< split \"/\" \"a/b\" >> << (split \"/\" \"a/b\")._1 >>", &i), "map[_0:a _1:b] b");
    assert_eq!(fok("<< splitList \",\" \"a,b\" | join \"+\" >> << list 1 \"a\" nil | join \",\" >>", &i), "a+b 1,a");
    assert_eq!(fok("<< list \"b\" \"a\" | sortAlpha >> << toStrings (list 1 2) >>", &i), "[a b] [1 2]");
    assert_eq!(fok("<< slugify inputs.name >> << plural \"one\" \"many\" 2 >>", &i), "hello-world many");
    assert_eq!(
        fok(
            "<< sha256sum \"a\" | trunc 8 >> << adler32sum \"team1-apps\" >> << b64enc \"hi\" >> << b64dec \"aGk=\" >>",
            &i
        ),
        "ca978112 340788154 aGk= hi"
    );
    assert_eq!(fok("<< toString 1.5 >> << atoi \"12\" >> << atoi \"x\" >>", &i), "1.5 12 0");
    assert!(matches!(err(flux("<< fail \"boom\" >>", &i)).message.as_str(), "error calling fail: boom"));
}

#[test]
fn sprig_lists_and_dicts() {
    let i = json!({"l": [1, 2], "m": {"a": 1}});
    assert_eq!(
        fok("<< $d := dict \"a\" 1 >><< $_ := set $d \"b\" 2 >><< keys $d | sortAlpha | join \",\" >>", &i),
        "a,b"
    );
    assert_eq!(fok("<< $_ := set inputs.m \"z\" 3 >><< inputs.m.z >>", &i), "3");
    assert_eq!(
        fok("<< hasKey inputs.m \"a\" >> << get inputs.m \"a\" >> << get inputs.m \"x\" | quote >>", &i),
        "true 1 \"\""
    );
    // reflect.DeepEqual tells Go's int (a constant) from int64 (decoded JSON).
    assert_eq!(fok("<< has 1 (list 1 2) >> << has 1 inputs.l >> << has (int64 1) inputs.l >>", &i), "true false true");
    assert_eq!(
        fok("<< first inputs.l >> << last inputs.l >> << rest inputs.l >> << initial inputs.l >>", &i),
        "1 2 [2] [1]"
    );
    assert_eq!(
        fok(
            "<< append inputs.l 3 >> << prepend inputs.l 0 >> << reverse inputs.l >> << concat inputs.l (list 9) >>",
            &i
        ),
        "[1 2 3] [0 1 2] [2 1] [1 2 9]"
    );
    assert_eq!(
        fok("<< uniq (list 1 1 2) >> << without (list 1 2 3) 2 >> << compact (list 0 \"\" 1) >>", &i),
        "[1 2] [1 3] [1]"
    );
    assert_eq!(
        fok("<< slice (list 1 2 3) 1 >> << slice (list 1 2 3) 0 2 >> << chunk 2 (list 1 2 3) >>", &i),
        "[2 3] [1 2] [[1 2] [3]]"
    );
    assert_eq!(
        err(flux("<< slice \"abc\" 1 >>", &i)).message,
        "error calling slice: list should be type of slice or array but string"
    );
    assert_eq!(
        fok(
            "<< pick inputs.m \"a\" >> << omit inputs.m \"a\" >> << values inputs.m >> << pluck \"a\" inputs.m inputs.m >>",
            &i
        ),
        "map[a:1] map[] [1] [1 1]"
    );
    assert_eq!(fok("<< dig \"m\" \"a\" \"none\" inputs >> << dig \"m\" \"x\" \"none\" inputs >>", &i), "1 none");
    assert_eq!(
        fok(
            "<< empty \"\" >> << empty 1 >> << coalesce \"\" nil \"x\" >> << ternary \"a\" \"b\" false >> << all 1 \"\" >> << any 0 \"x\" >>",
            &i
        ),
        "true false x b false true"
    );
    assert_eq!(
        fok("<< kindOf inputs.l >> << kindOf 1 >> << kindIs \"map\" inputs.m >> << deepEqual (list 1) (list 1) >>", &i),
        "slice int true true"
    );
}

#[test]
fn sprig_numbers_and_regexes() {
    let i = json!({"n": 7});
    assert_eq!(
        fok("<< add 1 2 \"3\" >> << sub 5 inputs.n >> << mul 2 3 4 >> << div 7 2 >> << mod 7 2 >> << add1 1.9 >>", &i),
        "6 -2 24 3 1 2"
    );
    assert_eq!(err(flux("<< div 1 0 >>", &i)).message, "error calling div: runtime error: integer divide by zero");
    assert_eq!(
        fok("<< max 1 9 3 >> << min 4 2 >> << maxf 1.5 2 >> << floor 1.7 >> << ceil 1.2 >> << round 1.2345 2 >>", &i),
        "9 2 2 1 2 1.23"
    );
    assert_eq!(
        fok("<< int \"12\" >> << int64 3.9 >> << float64 \"1.5\" >> << toDecimal \"0777\" >>", &i),
        "12 3 1.5 511"
    );
    assert_eq!(
        fok("<< seq 3 >>|<< seq 2 4 >>|<< seq 5 -2 1 >>|<< until 3 >>|<< untilStep 0 10 4 >>", &i),
        "1 2 3|2 3 4|5 3 1|[0 1 2]|[0 4 8]"
    );
    assert_eq!(
        fok(
            "<< regexMatch \"^[a-z]+\\\\d$\" \"abc1\" >> << regexFind \"[0-9]+\" \"ab12c3\" >> << regexFindAll \"[0-9]\" \"a1b2c3\" 2 >>",
            &i
        ),
        "true 12 [1 2]"
    );
    assert_eq!(
        fok(
            "<< regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" >> << regexReplaceAllLiteral \"a(x*)b\" \"-ab-\" \"${1}\" >>",
            &i
        ),
        "-W-xxW- -${1}-"
    );
    assert_eq!(fok("<< regexSplit \"a\" \"banana\" -1 >> << regexQuoteMeta \"a.b\" >>", &i), "[b n n ] a\\.b");
}

#[test]
fn serialisation_functions() {
    let i = json!({"m": {"b": [1, "x"], "a": "yes", "c": {}}, "s": "<x>"});
    assert_eq!(fok("<< toJson inputs.m >>", &i), r#"{"a":"yes","b":[1,"x"],"c":{}}"#);
    assert_eq!(fok("<< toJson inputs.s >> << toRawJson inputs.s >>", &i), r#""\u003cx\u003e" "<x>""#);
    assert_eq!(fok("<< toYaml inputs.m >>", &i), "a: \"yes\"\nb:\n- 1\n- x\nc: {}\n");
    assert_eq!(fok("<< toPrettyJson (list 1) >>", &i), "[\n  1\n]");
    assert_eq!(fok("<< (fromJson \"{\\\"a\\\": 1}\").a >> << fromJson \"nope\" >>", &i), "1 <no value>");
    assert_eq!(fok("spec:<< toYaml (dict \"k\" (list \"v\")) | nindent 2 >>", &i), "spec:\n  k:\n  - v\n  ");
}

#[test]
fn unknown_values_are_tracked() {
    let mut map = std::collections::BTreeMap::new();
    map.insert("id".to_string(), Value::unknown("the provider's id depends on its UID", Value::str("123")));
    map.insert("name".to_string(), Value::str("a"));
    let inputs = Value::map(map);
    let t = Template::parse(
        "n: app-<< inputs.id >>\nq: << inputs.id | quote >>\nx: << inputs.name >>",
        Options::flux_operator(),
    )
    .unwrap();
    let r = t.execute(&Value::Nil, &inputs).unwrap();
    assert_eq!(r.text, "n: app-123\nq: \"123\"\nx: a");
    assert_eq!(r.unknown.len(), 2);
    assert_eq!(&r.text[r.unknown[0].range.clone()], "123");
    assert_eq!(&r.text[r.unknown[1].range.clone()], "\"123\"");
    assert!(r.unknown_in(0..5).is_none());
    let t = Template::parse("<< if eq inputs.id \"x\" >>a<< end >>", Options::flux_operator()).unwrap();
    let e = t.execute(&Value::Nil, &inputs).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Opaque { .. }));
}

#[test]
fn output_maps_back_to_the_template() {
    let tpl = "a: 1\n<<- range $i := until 2 >>\nitem<< $i >>: << $i >>\n<<- end >>\nz: << \"q\" >>\n";
    let t = Template::parse(tpl, Options::flux_operator()).unwrap();
    let r = t.execute(&Value::Nil, &Value::Nil).unwrap();
    assert_eq!(r.text, "a: 1\nitem0: 0\nitem1: 1\nz: q\n");
    let lines: Vec<u32> = r.line_origins().iter().map(|o| t.position(*o).line).collect();
    assert_eq!(lines, vec![1, 3, 3, 5, 5]);
    // The value after `z: ` came from the action at line 5, column 4.
    let q = r.text.find('q').unwrap();
    let p = t.position(r.origin(q));
    assert_eq!((p.line, p.column), (5, 4));
    assert_eq!(&tpl[r.origin_range(q)], "<< \"q\" >>");
    assert_eq!(&tpl[r.origin_range(0)], "a");
}

#[test]
fn limits_stop_runaway_templates() {
    let e = err(flux("<< range until 100000000 >>x<< end >>", &json!({})));
    assert_eq!(e.kind, ErrorKind::Limit);
    let e = err(flux("<< range 100000000 >>x<< end >>", &json!({})));
    assert_eq!(e.kind, ErrorKind::Limit);
    let deep = "<< if true >>".repeat(300) + &"<< end >>".repeat(300);
    assert_eq!(err(flux(&deep, &json!({}))).kind, ErrorKind::Limit);
    // Values nested without bound, or a map holding itself, stop instead of overflowing.
    let e = err(flux("<< $x := list >><< range until 100000 >><< $x = list $x >><< end >><< $x >>", &json!({})));
    assert_eq!(e.kind, ErrorKind::Limit);
    let e = err(flux("<< $m := dict >><< $_ := set $m \"k\" (list $m) >><< $m >>", &json!({})));
    assert_eq!(e.kind, ErrorKind::Limit);
    // Copying a growing list in a loop is charged per element.
    let e = err(flux("<< $x := list >><< range until 100000 >><< $x = append $x 1 >><< end >>", &json!({})));
    assert_eq!(e.kind, ErrorKind::Limit);
}
