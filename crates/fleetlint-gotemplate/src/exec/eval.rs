//! Evaluation (golang/go:src/text/template/exec.go, Go 1.26 `evalPipeline`, `evalCommand`,
//! `evalFieldChain`, `evalCall`, `evalArg`, `validateType`): pipelines, commands, variables,
//! field chains with `missingkey` handling, function calls with Go's argument typing, and the
//! short-circuit `and`/`or`.

use std::rc::Rc;

use super::{State, X};
use crate::ast::{Arg, Number, Pipe};
use crate::funcs::{self, CallCtx, FnError, Ty};
use crate::value::Value;
use crate::{ErrorKind, MissingKey};

impl<'t> State<'t> {
    pub(super) fn eval_pipeline(&mut self, dot: &Value, pipe: &'t Pipe) -> X<Value> {
        self.at = pipe.pos;
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            self.step()?;
            value = Some(self.eval_command(dot, &cmd.args, value.take())?);
        }
        let value = value.unwrap_or(Value::Nil);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: Option<&Value>) -> X<()> {
        if args.len() > 1 || final_.is_some() {
            return self.fail(format!("can't give argument to non-function {}", args[0].describe()));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, args: &'t [Arg], final_: Option<Value>) -> X<Value> {
        let first = &args[0];
        self.at = first.pos();
        match first {
            Arg::Field { idents, .. } => self.eval_field_chain(dot, dot.clone(), idents, args, final_),
            Arg::Chain { node, fields, .. } => {
                if matches!(node.as_ref(), Arg::Nil { .. }) {
                    return self.fail(format!("indirection through explicit nil in {}", first.describe()));
                }
                let receiver = self.eval_arg(dot, Ty::Any, node)?;
                self.eval_field_chain(dot, receiver, fields, args, final_)
            }
            Arg::Identifier { name, .. } => self.eval_function(dot, name, args, final_),
            Arg::Pipe(p) => {
                self.not_a_function(args, final_.as_ref())?;
                self.enter()?;
                let r = self.eval_pipeline(dot, p);
                self.depth -= 1;
                r
            }
            Arg::Variable { idents, .. } => self.eval_variable(dot, idents, args, final_),
            Arg::Bool { value, .. } => {
                self.not_a_function(args, final_.as_ref())?;
                Ok(Value::Bool(*value))
            }
            Arg::Dot { .. } => {
                self.not_a_function(args, final_.as_ref())?;
                Ok(dot.clone())
            }
            Arg::Nil { .. } => self.fail("nil is not a command"),
            Arg::Number { num, .. } => {
                self.not_a_function(args, final_.as_ref())?;
                self.ideal_constant(num)
            }
            Arg::Str { text, .. } => {
                self.not_a_function(args, final_.as_ref())?;
                Ok(Value::str(text.as_str()))
            }
        }
    }

    fn ideal_constant(&self, num: &Number) -> X<Value> {
        let t = &num.text;
        let is_hex_int =
            t.len() > 2 && t.starts_with('0') && matches!(t.as_bytes()[1], b'x' | b'X') && !t.contains(['p', 'P']);
        let is_rune = t.starts_with('\'');
        if let Some(f) = num.float.filter(|_| !is_hex_int && !is_rune && t.contains(['.', 'e', 'E', 'p', 'P'])) {
            return Ok(Value::Float(f));
        }
        if let Some(i) = num.int {
            return Ok(Value::int(i));
        }
        self.fail(format!("{t} overflows int"))
    }

    fn eval_variable(&mut self, dot: &Value, idents: &'t [String], args: &'t [Arg], final_: Option<Value>) -> X<Value> {
        let value = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, final_.as_ref())?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, &idents[1..], args, final_)
    }

    fn eval_field_chain(
        &mut self,
        _dot: &Value,
        mut receiver: Value,
        idents: &'t [String],
        args: &'t [Arg],
        final_: Option<Value>,
    ) -> X<Value> {
        let n = idents.len();
        for (i, ident) in idents.iter().enumerate() {
            let has_args = i == n - 1 && (args.len() > 1 || final_.is_some());
            receiver = self.eval_field(ident, has_args, &receiver, i == 0)?;
        }
        Ok(receiver)
    }

    fn eval_field(&self, name: &str, has_args: bool, receiver: &Value, first: bool) -> X<Value> {
        match receiver {
            Value::Nil => {
                if !first {
                    return self.fail(format!("nil pointer evaluating interface {{}}.{name}"));
                }
                if self.missing_key == MissingKey::Error {
                    return self.fail(format!("nil data; no entry for key {name:?}"));
                }
                Ok(Value::Nil)
            }
            Value::Map(m) => {
                if has_args {
                    return self.fail(format!("{name} is not a method but has arguments"));
                }
                match m.borrow().get(name) {
                    Some(v) => Ok(v.clone()),
                    None => match self.missing_key {
                        MissingKey::Error => self.fail(format!("map has no entry for key {name:?}")),
                        MissingKey::Default | MissingKey::Zero => Ok(Value::Nil),
                    },
                }
            }
            Value::Unknown(u) => {
                let inner = self.eval_field(name, has_args, &u.shown, first)?;
                Ok(Value::unknown(u.reason.clone(), inner))
            }
            other => self.fail(format!("can't evaluate field {name} in type {}", other.type_name())),
        }
    }

    fn eval_function(&mut self, dot: &Value, name: &str, args: &'t [Arg], final_: Option<Value>) -> X<Value> {
        let Some(def) = funcs::lookup(self.funcs, name) else {
            return self.fail(format!("{name:?} is not a defined function"));
        };
        let call_pos = args[0].pos();
        let rest = &args[1..];
        let num_in = rest.len() + usize::from(final_.is_some());
        let fixed = def.sig.params.len();
        if def.sig.variadic.is_some() {
            if num_in < fixed {
                return self.fail(format!("wrong number of args for {name}: want at least {fixed} got {}", rest.len()));
            }
        } else if num_in != fixed {
            return self.fail(format!("wrong number of args for {name}: want {fixed} got {num_in}"));
        }
        if name == "and" || name == "or" {
            let want = name == "or";
            let mut v = Value::Nil;
            for arg in rest {
                v = self.eval_arg(dot, Ty::Any, arg)?;
                if self.truth(&v, name)? == want {
                    return Ok(v);
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v);
        }
        let mut argv = Vec::with_capacity(num_in);
        for (i, arg) in rest.iter().enumerate() {
            let ty = if i < fixed { def.sig.params[i] } else { def.sig.variadic.unwrap_or(Ty::Any) };
            argv.push(self.eval_arg(dot, ty, arg)?);
        }
        if let Some(f) = final_ {
            let ty = match def.sig.variadic {
                Some(v) if num_in > fixed => v,
                _ => def.sig.params.get(num_in - 1).copied().unwrap_or(Ty::Any),
            };
            argv.push(self.validate(f, ty)?);
        }
        self.at = call_pos;
        if name == "call" {
            return match &argv[0] {
                Value::Nil => self.fail("error calling call: call of nil"),
                other => self.fail(format!("error calling call: non-function of type {}", other.type_name())),
            };
        }
        let Some(imp) = def.imp else {
            return self.fail_kind(
                ErrorKind::Unsupported { function: name.to_string() },
                format!("function {name:?} is not evaluated by fleetlint"),
            );
        };
        let ctx =
            CallCtx { inputs: self.inputs, max_len: self.limits.max_collection_len, work: std::cell::Cell::new(0) };
        let unknown: Option<Rc<str>> =
            if self.has_unknowns { argv.iter().find_map(Value::unknown_reason) } else { None };
        if let Some(reason) = unknown {
            let shown: Vec<Value> = argv.iter().map(Value::shown).collect();
            return match imp(&ctx, shown) {
                Ok(v) => Ok(Value::unknown(reason, v)),
                Err(FnError::Go(_)) => self.fail_kind(
                    ErrorKind::Opaque { reason: reason.to_string() },
                    format!("{name} depends on a value not known offline"),
                ),
                Err(e) => self.fn_error(name, e),
            };
        }
        let result = imp(&ctx, argv);
        // Charge what the call built or inspected, so loops that copy growing lists stay bounded.
        let built = match &result {
            Ok(Value::List(l)) => l.len() as u64,
            Ok(Value::Map(m)) => m.try_borrow().map_or(0, |m| m.len() as u64),
            Ok(Value::Str(s)) => (s.len() / 64) as u64,
            _ => 0,
        };
        self.charge(ctx.work.get() + built)?;
        match result {
            Ok(v) => Ok(v),
            Err(e) => self.fn_error(name, e),
        }
    }

    pub(super) fn charge(&mut self, units: u64) -> X<()> {
        self.steps = self.steps.saturating_add(units);
        if self.steps > self.limits.max_steps {
            return self.fail_kind(ErrorKind::Limit, format!("more than {} evaluation steps", self.limits.max_steps));
        }
        Ok(())
    }

    fn fn_error<T>(&self, name: &str, e: FnError) -> X<T> {
        match e {
            FnError::Go(msg) => self.fail(format!("error calling {name}: {msg}")),
            FnError::Unsupported(msg) => {
                self.fail_kind(ErrorKind::Unsupported { function: name.to_string() }, format!("{name}: {msg}"))
            }
            FnError::Limit(msg) => self.fail_kind(ErrorKind::Limit, format!("{name}: {msg}")),
        }
    }

    fn validate(&self, v: Value, ty: Ty) -> X<Value> {
        if matches!(v, Value::Nil) {
            return match ty {
                Ty::Any | Ty::Map => Ok(Value::Nil),
                _ => self.fail(format!("invalid value; expected {}", ty.go_name())),
            };
        }
        if ty.accepts(&v) {
            return Ok(v);
        }
        self.fail(format!("wrong type for value; expected {}; got {}", ty.go_name(), v.type_name()))
    }

    fn eval_arg(&mut self, dot: &Value, ty: Ty, arg: &'t Arg) -> X<Value> {
        self.at = arg.pos();
        let v = match arg {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                return match ty {
                    Ty::Any | Ty::Map => Ok(Value::Nil),
                    _ => self.fail(format!("cannot assign nil to {}", ty.go_name())),
                };
            }
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot.clone(), idents, std::slice::from_ref(arg), None)?
            }
            Arg::Variable { idents, .. } => self.eval_variable(dot, idents, std::slice::from_ref(arg), None)?,
            Arg::Pipe(p) => {
                self.enter()?;
                let r = self.eval_pipeline(dot, p);
                self.depth -= 1;
                r?
            }
            Arg::Identifier { name, .. } => self.eval_function(dot, name, std::slice::from_ref(arg), None)?,
            Arg::Chain { .. } => self.eval_command(dot, std::slice::from_ref(arg), None)?,
            Arg::Bool { value, .. } => {
                return match ty {
                    Ty::Bool | Ty::Any => Ok(Value::Bool(*value)),
                    _ => self.literal_mismatch(ty, arg),
                };
            }
            Arg::Number { num, .. } => {
                return match ty {
                    Ty::Int => match num.int {
                        Some(i) => Ok(Value::int(i)),
                        None => self.fail(format!("expected integer; found {}", arg.describe())),
                    },
                    Ty::Float => match num.float {
                        Some(f) => Ok(Value::Float(f)),
                        None => self.fail(format!("expected float; found {}", arg.describe())),
                    },
                    Ty::Any => self.ideal_constant(num),
                    _ => self.literal_mismatch(ty, arg),
                };
            }
            Arg::Str { text, .. } => {
                return match ty {
                    Ty::Str | Ty::Any => Ok(Value::str(text.as_str())),
                    _ => self.literal_mismatch(ty, arg),
                };
            }
        };
        self.validate(v, ty)
    }

    fn literal_mismatch<T>(&self, ty: Ty, arg: &Arg) -> X<T> {
        let expected = match ty {
            Ty::Bool => "bool",
            Ty::Int => "integer",
            Ty::Float => "float",
            Ty::Str => "string",
            Ty::Any | Ty::Map => {
                return self.fail(format!("can't handle {} for arg of type {}", arg.describe(), ty.go_name()));
            }
        };
        self.fail(format!("expected {expected}; found {}", arg.describe()))
    }
}
