//! Evaluating `${...}` templates: captured variables, fixtures of the profile with their address
//! helpers (`host(N)`, `network`, `last_usable`, …) and built-ins (`region`, `unique`, `limits`).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use eni_spec::{Expr, Part, Template};

use crate::profile::{Fixture, Profile};
use crate::redact::Redactor;

/// Variables and fixtures visible to one case run.
#[derive(Debug)]
pub struct Scope<'a> {
    profile: &'a Profile,
    vars: BTreeMap<String, String>,
    unique: String,
}

/// A template that cannot be evaluated, and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub span: eni_spec::Span,
    pub message: String,
}

impl<'a> Scope<'a> {
    pub fn new(profile: &'a Profile, unique: String) -> Scope<'a> {
        Scope {
            profile,
            vars: BTreeMap::new(),
            unique,
        }
    }

    pub fn set(&mut self, name: &str, value: String) {
        self.vars.insert(name.to_string(), value);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Evaluates a template. Target-specific values an expression produced are given the
    /// expression's name in the redactor, so that snapshots read `<vswitch.host(10)>`.
    pub fn eval(&self, template: &Template, redactor: &mut Redactor) -> Result<String, EvalError> {
        let mut out = String::new();
        for part in &template.parts {
            match part {
                Part::Lit(text) => out.push_str(text),
                Part::Expr(expr) => {
                    let value = self.eval_expr(expr).map_err(|message| EvalError {
                        span: expr.span,
                        message,
                    })?;
                    redactor.name_value(&value, &expression_text(expr));
                    out.push_str(&value);
                }
            }
        }
        Ok(out)
    }

    fn eval_expr(&self, expr: &Expr) -> Result<String, String> {
        let member = expr.member.as_ref();
        let member_name = member.map(|member| member.name.as_str());
        if let Some(value) = self.vars.get(&expr.root) {
            if member.is_some() {
                return Err(format!(
                    "`{}` is a captured value and has no members",
                    expr.root
                ));
            }
            return offset_value(value, expr.offset);
        }
        match (expr.root.as_str(), member_name) {
            ("region", None) => return no_offset(self.profile.region.clone(), expr),
            ("unique", None) => return no_offset(self.unique.clone(), expr),
            ("limits", Some("available_cap")) => {
                return offset_number(i64::from(self.profile.contract.available_cap), expr.offset);
            }
            ("limits", Some("max_list_index")) => {
                return offset_number(i64::from(self.profile.contract.max_list_index), expr.offset);
            }
            ("limits", _) => {
                return Err("`limits` has members `available_cap` and `max_list_index`".into());
            }
            _ => {}
        }
        let Some(fixture) = self.profile.fixtures.get(&expr.root) else {
            return Err(format!(
                "`{}` is neither a captured value nor a fixture of profile `{}`",
                expr.root, self.profile.name
            ));
        };
        let arg = member.and_then(|member| member.arg);
        let value = match (fixture, member_name) {
            (_, Some("id")) => fixture.id().to_string(),
            (Fixture::VSwitch { cidr, .. }, Some("cidr")) => cidr.to_string(),
            (
                Fixture::VSwitch {
                    zone: Some(zone), ..
                },
                Some("zone"),
            ) => zone.clone(),
            (Fixture::VSwitch { cidr, .. }, Some(helper)) => {
                let network = i64::from(u32::from(cidr.network()));
                let broadcast = i64::from(u32::from(cidr.broadcast()));
                let address = match (helper, arg) {
                    ("network", None) => network,
                    ("broadcast", None) => broadcast,
                    ("first_usable", None) => network + 1,
                    // The last three addresses of a block are reserved.
                    ("last_usable", None) => broadcast - 3,
                    ("outside", None) => broadcast + 1,
                    ("host", Some(n)) if n >= 0 => network + n,
                    ("host", Some(n)) => broadcast + 1 + n,
                    ("host", None) => return Err("`host` takes the host number: `host(10)`, or `host(-1)` for the last address".into()),
                    _ => return Err(format!("VSwitch fixture `{}` has no member `{helper}`{}", expr.root, vswitch_members())),
                };
                return address_text(address + expr.offset);
            }
            (Fixture::Instance(instance), Some("type")) => instance.instance_type.clone(),
            (Fixture::Instance(instance), Some("secondary_cap")) => {
                let cap = self
                    .profile
                    .contract
                    .secondary_cap(&instance.instance_type)
                    .ok_or_else(|| {
                        format!(
                            "the profile does not know instance type {}",
                            instance.instance_type
                        )
                    })?;
                return offset_number(i64::from(cap), expr.offset);
            }
            (Fixture::Instance(instance), Some("primary_eni")) => {
                instance.primary_eni.clone().ok_or_else(|| {
                    format!(
                        "fixture `{}` has no `primary_eni` in the profile",
                        expr.root
                    )
                })?
            }
            (Fixture::Instance(instance), Some("primary_ip")) => {
                let ip = instance.primary_ip.ok_or_else(|| {
                    format!("fixture `{}` has no `primary_ip` in the profile", expr.root)
                })?;
                return address_text(i64::from(u32::from(ip)) + expr.offset);
            }
            (_, None) => {
                return Err(format!(
                    "`{}` is a fixture: name a member, e.g. `${{{}.id}}`",
                    expr.root, expr.root
                ));
            }
            (_, Some(other)) => {
                return Err(format!("fixture `{}` has no member `{other}`", expr.root));
            }
        };
        no_offset(value, expr)
    }
}

/// The expression as a case author wrote it, for snapshot tokens.
pub fn expression_text(expr: &Expr) -> String {
    let mut text = expr.root.clone();
    if let Some(member) = &expr.member {
        text.push('.');
        text.push_str(&member.name);
        if let Some(arg) = member.arg {
            text.push_str(&format!("({arg})"));
        }
    }
    match expr.offset {
        0 => {}
        offset if offset > 0 => text.push_str(&format!("+{offset}")),
        offset => text.push_str(&format!("{offset}")),
    }
    text
}

fn vswitch_members() -> &'static str {
    " (members: id, cidr, zone, network, broadcast, host(N), first_usable, last_usable, outside)"
}

fn no_offset(value: String, expr: &Expr) -> Result<String, String> {
    if expr.offset == 0 {
        Ok(value)
    } else {
        offset_value(&value, expr.offset)
    }
}

/// `+N`/`-N` on a value: numbers add, addresses step.
fn offset_value(value: &str, offset: i64) -> Result<String, String> {
    if offset == 0 {
        return Ok(value.to_string());
    }
    if let Ok(number) = value.parse::<i64>() {
        return offset_number(number, offset);
    }
    if let Ok(ip) = value.parse::<Ipv4Addr>() {
        return address_text(i64::from(u32::from(ip)) + offset);
    }
    Err(format!(
        "cannot add {offset} to `{value}`: it is neither a number nor an IPv4 address"
    ))
}

fn offset_number(number: i64, offset: i64) -> Result<String, String> {
    number
        .checked_add(offset)
        .map(|sum| sum.to_string())
        .ok_or_else(|| "the number overflows".to_string())
}

fn address_text(address: i64) -> Result<String, String> {
    u32::try_from(address)
        .map(|address| Ipv4Addr::from(address).to_string())
        .map_err(|_| "the address falls outside 0.0.0.0–255.255.255.255".to_string())
}
