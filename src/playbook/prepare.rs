//! From a playbook and an inventory to ready targets, before any device is contacted: the
//! targets selector (narrowed by `--limit`) must match something; every target must have a
//! platform and credentials; intended configurations are rendered (a template error stops
//! the run here, not half-way through a rollout); each step's `when` is evaluated on each
//! asset's context.

use super::engine::Target;
use super::model::Playbook;
use crate::access::Access;
use crate::diag::{Diagnostic, Diagnostics};
use crate::intent::{CachedResolver, ContextBase, asset_context, render_selected};
use crate::inventory::{Asset, Inventory, Located, Selector};
use crate::render::TemplateSet;
use crate::secrets::{Redactor, SecretResolver};
use std::collections::HashMap;

/// The assets a playbook targets, narrowed by `limit`. Matching nothing is an error.
pub fn select<'i>(
    inventory: &'i Inventory,
    playbook: &Playbook,
    limit: Option<&Selector>,
) -> Result<(Selector, Vec<&'i Located<Asset>>), Diagnostic> {
    let targets = Selector::parse(&playbook.targets)
        .map_err(|error| Diagnostic::error("playbook.bad-targets", format!("targets: {error}")))?;
    let selector = match limit {
        Some(limit) => targets.and(limit),
        None => targets,
    };
    let assets: Vec<&Located<Asset>> = inventory
        .assets
        .iter()
        .filter(|a| selector.matches(&a.value))
        .collect();
    if assets.is_empty() {
        return Err(Diagnostic::error(
            "playbook.no-targets",
            format!("targets `{}` match no asset", selector),
        )
        .hint("check the selector with `netparc render --limit '<selector>'`"));
    }
    Ok((selector, assets))
}

/// Build the targets: logins, intended configurations (when a step needs them), `when`.
pub fn targets(
    inventory: &Inventory,
    resolver: &SecretResolver,
    templates: Option<&TemplateSet>,
    playbook: &Playbook,
    selector: &Selector,
    assets: &[&Located<Asset>],
    access: &Access,
) -> Result<Vec<Target>, Diagnostics> {
    let mut diagnostics = Diagnostics::new();
    let needs_intent = playbook
        .steps
        .iter()
        .any(|s| s.push.is_some() || s.render.is_some());
    let mut intents: HashMap<String, String> = HashMap::new();
    match templates {
        Some(templates) => {
            // Rendered even for a read-only playbook: a file-based driver (linux) learns
            // from the intent's header which file it manages. Only a playbook that pushes
            // or renders fails on a template error.
            let (rendered, found) = render_selected(inventory, templates, resolver, selector);
            if needs_intent {
                diagnostics.extend(found);
            }
            intents = rendered.into_iter().map(|i| (i.asset, i.text)).collect();
        }
        None if needs_intent => diagnostics.push(Diagnostic::error(
            "playbook.no-templates",
            "this playbook renders configurations but the inventory's templates could not be loaded",
        )),
        None => {}
    }
    let conditions = Conditions::new(playbook);
    let base = ContextBase::new(inventory);
    let mut cached = CachedResolver::new(resolver);
    let mut targets = Vec::with_capacity(assets.len());
    for asset in assets {
        let endpoint = match access.endpoint(inventory, asset, resolver) {
            Ok(endpoint) => endpoint,
            Err(diagnostic) => {
                diagnostics.push(diagnostic);
                continue;
            }
        };
        let enabled = match &conditions {
            None => Vec::new(),
            Some(conditions) => match asset_context(inventory, &base, asset, &mut cached) {
                Ok(context) => conditions.evaluate(&context),
                Err(found) => {
                    diagnostics.extend(found);
                    continue;
                }
            },
        };
        let redactor = Redactor::from_secrets(&endpoint.secrets);
        targets.push(Target {
            intended: intents.remove(&asset.value.name),
            endpoint,
            enabled,
            redactor,
        });
    }
    if diagnostics.has_errors() {
        diagnostics.merge_repeats();
        return Err(diagnostics);
    }
    Ok(targets)
}

/// The steps' `when` expressions, compiled once.
struct Conditions {
    tera: tera::Tera,
    steps: Vec<Option<String>>,
}

impl Conditions {
    fn new(playbook: &Playbook) -> Option<Conditions> {
        if playbook.steps.iter().all(|s| s.when.is_none()) {
            return None;
        }
        let mut tera = tera::Tera::new();
        crate::render::filters::register(&mut tera);
        let mut steps = Vec::new();
        for (index, step) in playbook.steps.iter().enumerate() {
            let name = step.when.as_ref().and_then(|when| {
                let name = format!("when-{index}");
                let source = format!("{{% if {when} %}}true{{% endif %}}");
                tera.add_raw_template(&name, &source).ok().map(|()| name)
            });
            steps.push(name);
        }
        Some(Conditions { tera, steps })
    }

    fn evaluate(&self, context: &serde_json::Value) -> Vec<Result<bool, String>> {
        let mut tera_context = tera::Context::new();
        if let serde_json::Value::Object(map) = context {
            for (key, value) in map {
                tera_context.insert(key.clone(), value);
            }
        }
        let context: Result<tera::Context, String> = Ok(tera_context);
        self.steps
            .iter()
            .map(|name| match name {
                None => Ok(true),
                Some(name) => match &context {
                    Ok(context) => self
                        .tera
                        .render(name, context)
                        .map(|out| out == "true")
                        .map_err(|e| {
                            let text = e.to_string();
                            let mut message = text.lines().next().unwrap_or(&text).to_string();
                            let mut source = std::error::Error::source(&e);
                            while let Some(inner) = source {
                                message = inner.to_string();
                                source = inner.source();
                            }
                            message
                        }),
                    Err(error) => Err(error.to_string()),
                },
            })
            .collect()
    }
}
