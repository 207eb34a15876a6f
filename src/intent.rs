//! Intended configuration: which template an asset uses, the context it is rendered with
//! (the asset after precedence, its site's plan, secrets resolved), and the rendering of a
//! selection of assets. `check` and `render` both come through here.

use crate::diag::{Diagnostic, Diagnostics, SourceLocation};
use crate::inventory::{Asset, AssetKind, Inventory, Located, Selector, Site, vars};
use crate::render::TemplateSet;
use crate::secrets::strength::SecretClass;
use crate::secrets::{Secret, SecretRef, SecretResolver};
use crate::yaml::{PathSegment, YamlPath, path_to_string};
use crate::ypath;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// A secret-bearing field of an asset after precedence.
#[derive(Debug, Clone)]
pub struct SecretField<'a> {
    /// Dotted path as seen in the asset's context (`credentials.password`).
    pub field: String,
    /// The reference written there.
    pub reference: &'a SecretRef,
    /// Which ANSSI length rule applies.
    pub class: SecretClass,
    /// The entity the reference is written in (the asset, a group or the defaults).
    pub origin: &'a crate::inventory::Origin,
    /// The reference's path below that entity.
    pub written_at: YamlPath,
    /// Path into the template context where the cleartext goes.
    context_path: YamlPath,
}

impl SecretField<'_> {
    /// Where the reference is written (computed on demand: most fields never need it).
    pub fn location(&self) -> SourceLocation {
        self.origin.locate(&self.written_at)
    }
}

/// Every secret field that applies to an asset.
pub fn secret_fields<'a>(
    inventory: &'a Inventory,
    asset: &'a Located<Asset>,
) -> Vec<SecretField<'a>> {
    let mut fields = Vec::new();
    // Paths are given below `asset` (the usual case); named secrets live at the top.
    let mut push =
        |path: YamlPath,
         reference: &'a SecretRef,
         class,
         (origin, written_at): (&'a crate::inventory::Origin, YamlPath)| {
            let named = matches!(path.first(), Some(PathSegment::Key(k)) if k == "secrets");
            let mut context_path = Vec::with_capacity(path.len() + 1);
            if !named {
                context_path.push(PathSegment::Key(String::from("asset")));
            }
            context_path.extend(path.iter().cloned());
            fields.push(SecretField {
                field: path_to_string(&path),
                reference,
                class,
                origin,
                written_at,
                context_path,
            });
        };
    // Credentials matter only for assets netparc logs into (those with a driver).
    let credentials = asset
        .value
        .platform
        .as_ref()
        .and_then(|_| vars::credentials(inventory, asset));
    if let Some(credentials) = credentials {
        if let Some(reference) = &credentials.value.password {
            push(
                ypath!["credentials", "password"].to_vec(),
                reference,
                SecretClass::Administrator,
                credentials.at(&ypath!["password"]),
            );
        }
        if let Some(reference) = &credentials.value.enable {
            push(
                ypath!["credentials", "enable"].to_vec(),
                reference,
                SecretClass::Administrator,
                credentials.at(&ypath!["enable"]),
            );
        }
    }
    if let Some(snmp) = vars::snmp(inventory, asset) {
        for (name, reference) in [
            ("community", &snmp.value.community),
            ("auth_password", &snmp.value.auth_password),
            ("priv_password", &snmp.value.priv_password),
        ] {
            if let Some(reference) = reference {
                push(
                    ypath!["snmp", name].to_vec(),
                    reference,
                    SecretClass::Administrator,
                    snmp.at(&ypath![name]),
                );
            }
        }
    }
    for (index, ssid) in asset.value.ssids.iter().enumerate() {
        if let Some(reference) = &ssid.psk {
            let path = ypath!["ssids", index, "psk"].to_vec();
            push(
                path.clone(),
                reference,
                SecretClass::User,
                (&asset.origin, path),
            );
        }
    }
    if let Some(vpn) = &asset.value.vpn {
        if let Some(reference) = &vpn.private_key {
            let path = ypath!["vpn", "private_key"].to_vec();
            push(
                path.clone(),
                reference,
                SecretClass::Administrator,
                (&asset.origin, path),
            );
        }
        // The CA key (`vpn.ca_key`) is not one: it signs on the technician's machine and
        // never reaches a gateway's context.
        if let Some(reference) = &vpn.tls_crypt {
            let path = ypath!["vpn", "tls_crypt"].to_vec();
            push(
                path.clone(),
                reference,
                SecretClass::Administrator,
                (&asset.origin, path),
            );
        }
        for (index, peer) in vpn.peers.iter().enumerate() {
            if let Some(reference) = &peer.preshared_key {
                let path = ypath!["vpn", "peers", index, "preshared_key"].to_vec();
                push(
                    path.clone(),
                    reference,
                    SecretClass::Administrator,
                    (&asset.origin, path),
                );
            }
        }
        // Workstations' own peers follow the listed ones (see `vpn_clients_json`).
        for (offset, client) in vpn_clients(inventory, &asset.value.name).enumerate() {
            if let Some(reference) = client
                .value
                .vpn_client
                .as_ref()
                .and_then(|c| c.preshared_key.as_ref())
            {
                push(
                    ypath!["vpn", "peers", vpn.peers.len() + offset, "preshared_key"].to_vec(),
                    reference,
                    SecretClass::Administrator,
                    (
                        &client.origin,
                        ypath!["vpn_client", "preshared_key"].to_vec(),
                    ),
                );
            }
        }
    }
    if let Some(client) = &asset.value.vpn_client {
        for (name, reference) in [
            ("preshared_key", &client.preshared_key),
            ("private_key", &client.private_key),
        ] {
            if let Some(reference) = reference {
                let path = ypath!["vpn_client", name].to_vec();
                push(
                    path.clone(),
                    reference,
                    SecretClass::Administrator,
                    (&asset.origin, path),
                );
            }
        }
    }
    for (name, sourced) in vars::named_secrets(inventory, asset) {
        push(
            ypath!["secrets", name.as_str()].to_vec(),
            sourced.value,
            SecretClass::Administrator,
            sourced.at(&[]),
        );
    }
    fields
}

/// The workstations whose `vpn_client` is on `gateway`, in inventory order.
pub fn vpn_clients<'a>(
    inventory: &'a Inventory,
    gateway: &'a str,
) -> impl Iterator<Item = &'a Located<Asset>> + 'a {
    inventory.assets.iter().filter(move |a| {
        a.value
            .vpn_client
            .as_ref()
            .is_some_and(|c| c.gateway == gateway)
    })
}

/// A gateway's peers contributed by its workstations, shaped as its own `vpn.peers`
/// entries so templates see one list (secrets are filled in by `asset_parts`).
fn vpn_clients_json(inventory: &Inventory, gateway: &str) -> Vec<Value> {
    vpn_clients(inventory, gateway)
        .filter_map(|asset| {
            let client = asset.value.vpn_client.as_ref()?;
            Some(json!({
                "name": asset.value.name,
                "public_key": client.public_key,
                "certificate": client.certificate,
                "address": client.address,
                "preshared_key": client.preshared_key.as_ref().map(|r| r.to_string()),
                "allowed_ips": [],
                "endpoint": null,
            }))
        })
        .collect()
}

/// Resolves each reference once per run, however many assets share it (the defaults'
/// credentials are used by every device).
pub struct CachedResolver<'r> {
    resolver: &'r SecretResolver,
    cache: HashMap<SecretRef, Result<Secret, Diagnostic>>,
}

impl<'r> CachedResolver<'r> {
    /// Wrap a resolver.
    pub fn new(resolver: &'r SecretResolver) -> Self {
        CachedResolver {
            resolver,
            cache: HashMap::new(),
        }
    }

    /// The secret behind a field, or a diagnostic located at the field (value never shown).
    pub fn resolve(&mut self, field: &SecretField<'_>, asset: &str) -> Result<Secret, Diagnostic> {
        self.fill(field.reference);
        self.lookup(field, asset)
    }

    fn fill(&mut self, reference: &SecretRef) {
        if !self.cache.contains_key(reference) {
            let result = self
                .resolver
                .resolve(reference)
                .map_err(|e| e.to_diagnostic());
            self.cache.insert(reference.clone(), result);
        }
    }

    /// Resolve every secret an asset uses, so later lookups (from any thread) only read.
    pub fn prefetch(&mut self, inventory: &Inventory, asset: &Located<Asset>) {
        for field in secret_fields(inventory, asset) {
            self.fill(field.reference);
        }
    }

    /// The secret behind a field from the cache (resolving it now, uncached, if it was not
    /// prefetched), or a diagnostic located at the field.
    pub fn lookup(&self, field: &SecretField<'_>, asset: &str) -> Result<Secret, Diagnostic> {
        let fresh;
        let entry = match self.cache.get(field.reference) {
            Some(entry) => entry,
            None => {
                fresh = self
                    .resolver
                    .resolve(field.reference)
                    .map_err(|e| e.to_diagnostic());
                &fresh
            }
        };
        match entry {
            Ok(secret) => Ok(secret.clone()),
            Err(diagnostic) => Err(diagnostic
                .clone()
                .at(field.location())
                .asset(asset)
                .field(&field.field)),
        }
    }
}

/// The template an asset is rendered with, if any: `template:`, else `<platform>/<role>.tera`.
pub fn template_name(asset: &Asset) -> Option<String> {
    if let Some(template) = &asset.template {
        return Some(template.clone());
    }
    match (&asset.platform, &asset.role) {
        (Some(platform), Some(role)) => Some(format!("{platform}/{role}.tera")),
        _ => None,
    }
}

/// Per-inventory pieces of context computed once: each site's plan as JSON, its VLANs by
/// name, and for each switch the end devices plugged into its ports.
pub struct ContextBase {
    sites: HashMap<String, (Value, Value)>,
    connected: HashMap<String, Map<String, Value>>,
    inventory: Value,
    tera_sites: HashMap<String, (tera::Value, tera::Value)>,
    tera_connected: HashMap<String, tera::Value>,
    tera_inventory: tera::Value,
}

impl ContextBase {
    /// Precompute what every asset of the inventory shares.
    pub fn new(inventory: &Inventory) -> ContextBase {
        let sites: HashMap<String, (Value, Value)> = inventory
            .sites
            .iter()
            .map(|site| {
                (
                    site.value.site.clone(),
                    (site_json(&site.value), vlans_json(&site.value)),
                )
            })
            .collect();
        let mut connected: HashMap<String, Map<String, Value>> = HashMap::new();
        for asset in &inventory.assets {
            let a = &asset.value;
            if let Some(link) = &a.connected_to {
                connected.entry(link.switch.clone()).or_default().insert(
                    link.port.clone(),
                    json!({
                        "name": a.name,
                        "kind": a.kind,
                        "mac": a.mac,
                        "user": a.user,
                        "address": a.address,
                        "description": a.description,
                        "vlan": a.vlan,
                        "voice_vlan": (a.kind == AssetKind::Workstation)
                            .then(|| voice_vlan(inventory, &a.site))
                            .flatten(),
                        "retired": false,
                    }),
                );
            }
        }
        // A port whose last device was offboarded stays shut, until a device is onboarded
        // there (an active device on the port wins).
        for asset in &inventory.assets {
            let a = &asset.value;
            if let Some(link) = a.retired.as_ref().and_then(|r| r.connected_to.as_ref()) {
                connected
                    .entry(link.switch.clone())
                    .or_default()
                    .entry(link.port.clone())
                    .or_insert_with(|| {
                        json!({
                            "name": a.name,
                            "kind": a.kind,
                            "mac": null,
                            "user": null,
                            "address": null,
                            "description": a.description,
                            "vlan": null,
                            "voice_vlan": null,
                            "retired": true,
                        })
                    });
            }
        }
        let inventory_value = json!({
            "name": inventory.settings.value.name,
            "description": inventory.settings.value.description,
        });
        let tera_sites = sites
            .iter()
            .map(|(name, (site, vlans)): (&String, &(Value, Value))| {
                (
                    name.clone(),
                    (
                        tera::Value::from_serializable(site),
                        tera::Value::from_serializable(vlans),
                    ),
                )
            })
            .collect();
        let tera_connected = connected
            .iter()
            .map(|(name, ports)| (name.clone(), tera::Value::from_serializable(ports)))
            .collect();
        ContextBase {
            tera_inventory: tera::Value::from_serializable(&inventory_value),
            tera_sites,
            tera_connected,
            sites,
            connected,
            inventory: inventory_value,
        }
    }
}

/// The site's voice VLAN (purpose `voice`), which a workstation's port carries tagged for
/// its desk phone.
fn voice_vlan(inventory: &Inventory, site: &str) -> Option<String> {
    inventory.site(site).and_then(|s| {
        s.value
            .vlans
            .iter()
            .find(|v| v.purpose == crate::inventory::model::VlanPurpose::Voice)
            .map(|v| v.name.clone())
    })
}

fn site_json(site: &Site) -> Value {
    serde_json::to_value(site).unwrap_or(Value::Null)
}

fn vlans_json(site: &Site) -> Value {
    let mut vlans = Map::new();
    for vlan in &site.vlans {
        let mut entry = match serde_json::to_value(vlan) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        };
        let first = |ipv4: bool| {
            vlan.subnets
                .iter()
                .find(|s| s.prefix.0.is_ipv4() == ipv4)
                .and_then(|s| serde_json::to_value(s).ok())
                .unwrap_or(Value::Null)
        };
        entry.insert(String::from("ipv4"), first(true));
        entry.insert(String::from("ipv6"), first(false));
        vlans.insert(vlan.name.clone(), Value::Object(entry));
    }
    Value::Object(vlans)
}

fn set_at(root: &mut Value, path: &[PathSegment], value: Value) {
    let mut current = root;
    for segment in path {
        current = match (segment, current) {
            (PathSegment::Key(key), Value::Object(map)) => {
                map.entry(key.clone()).or_insert(Value::Null)
            }
            (PathSegment::Index(index), Value::Array(list)) => match list.get_mut(*index) {
                Some(item) => item,
                None => return,
            },
            _ => return,
        };
    }
    *current = value;
}

/// Fields whose secret is a key file of several lines: an OpenVPN gateway's PEM private key
/// and its tls-crypt static key (inlined in its configuration).
fn is_pem_field(asset: &Asset, field: &str) -> bool {
    let openvpn = asset
        .vpn
        .as_ref()
        .is_some_and(|v| v.vpn_type == crate::inventory::model::VpnType::Openvpn);
    openvpn && (field == "vpn.private_key" || field == "vpn.tls_crypt")
}

/// A PEM block (or OpenVPN static key) and nothing else: `-----BEGIN …-----` and
/// `-----END …-----` lines, base64 or hex lines between, `#` comments, blank lines. Such a
/// text inlined in an OpenVPN configuration cannot add a directive or close its block early.
pub fn pem_safe(text: &str) -> bool {
    let mut blocks = 0;
    let mut open = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        let marker = |prefix: &str| {
            line.strip_prefix(prefix)
                .and_then(|rest| rest.strip_suffix("-----"))
                .is_some_and(|label| {
                    !label.is_empty()
                        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
                })
        };
        if marker("-----BEGIN ") && !open {
            open = true;
            blocks += 1;
        } else if marker("-----END ") && open {
            open = false;
        } else if open {
            if !line
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '\u{2f}' | '='))
            {
                return false;
            }
        } else if !(line.is_empty() || line.starts_with('#'))
            || line.chars().any(|c| c.is_control())
        {
            return false;
        }
    }
    blocks > 0 && !open
}

/// The parts of a context that belong to one asset: the asset after precedence with its
/// secrets resolved, its merged variables and its named secrets. A secret that cannot be
/// resolved, or whose value holds a line break, is a diagnostic and the asset is not
/// rendered.
fn asset_parts(
    inventory: &Inventory,
    asset: &Located<Asset>,
    secrets: &CachedResolver<'_>,
) -> Result<(Value, Value, Value), Diagnostics> {
    let a = &asset.value;
    let mut diagnostics = Diagnostics::new();
    let mut asset_value = serde_json::to_value(a).unwrap_or(Value::Null);
    if a.vpn.is_some()
        && let Some(Value::Array(peers)) = asset_value.pointer_mut("/vpn/peers")
    {
        peers.extend(vpn_clients_json(inventory, &a.name));
    }
    if let Some(vpn) = a
        .vpn
        .as_ref()
        .filter(|v| v.vpn_type == crate::inventory::model::VpnType::Openvpn)
        && let Some(Value::Object(service)) = asset_value.pointer_mut("/vpn")
    {
        // The PEM files kept in the inventory, as text: `ca_pem`, `cert_pem`, `crl_pem`
        // (`none` when the file is absent; `inventory::validate` reports that).
        let crl = vpn.crl_path(&a.name);
        for (key, file) in [
            ("ca_pem", vpn.ca.as_deref()),
            ("cert_pem", vpn.cert.as_deref()),
            ("crl_pem", Some(crl.as_str())),
        ] {
            let text = file
                .and_then(|f| std::fs::read_to_string(inventory.root.join(f)).ok())
                .map_or(Value::Null, Value::String);
            service.insert(String::from(key), text);
        }
    }
    if let Value::Object(map) = &mut asset_value {
        let credentials = vars::credentials(inventory, asset)
            .map(|c| serde_json::to_value(c.value).unwrap_or(Value::Null));
        let snmp = vars::snmp(inventory, asset)
            .map(|s| serde_json::to_value(s.value).unwrap_or(Value::Null));
        map.insert(
            String::from("credentials"),
            credentials.unwrap_or(Value::Null),
        );
        map.insert(String::from("snmp"), snmp.unwrap_or(Value::Null));
    }
    // The secret paths start with `asset` or `secrets`: fill them in a small holder.
    let mut holder = json!({ "asset": asset_value, "secrets": {} });
    for field in secret_fields(inventory, asset) {
        match secrets.lookup(&field, &a.name) {
            Ok(secret) => {
                let pem = is_pem_field(a, &field.field);
                let unsafe_text = if pem {
                    !pem_safe(secret.expose())
                } else {
                    secret.expose().chars().any(char::is_control)
                };
                if unsafe_text && pem {
                    diagnostics.push(
                        Diagnostic::error(
                            "inventory.injection",
                            format!("the secret behind `{}` ({}) is not a PEM key or OpenVPN static key", field.field, field.reference),
                        )
                        .at(field.location())
                        .asset(&a.name)
                        .field(&field.field)
                        .expected("`-----BEGIN …-----` / `-----END …-----` lines around base64 or hex lines (and `#` comments)")
                        .hint("any other line would become an OpenVPN directive on the gateway; store the key file again as it is"),
                    );
                    continue;
                }
                if unsafe_text {
                    diagnostics.push(
                        Diagnostic::error(
                            "inventory.injection",
                            format!("the secret behind `{}` ({}) contains a line break or control character", field.field, field.reference),
                        )
                        .at(field.location())
                        .asset(&a.name)
                        .field(&field.field)
                        .hint("it would end the configuration line and start another; store it again without the line break"),
                    );
                    continue;
                }
                set_at(
                    &mut holder,
                    &field.context_path,
                    Value::String(secret.expose().to_string()),
                );
            }
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let vars = serde_json::to_value(vars::merged_vars(inventory, asset)).unwrap_or(Value::Null);
    let (asset_value, named) = match holder {
        Value::Object(mut map) => (
            map.remove("asset").unwrap_or(Value::Null),
            map.remove("secrets").unwrap_or(Value::Null),
        ),
        _ => (Value::Null, Value::Null),
    };
    Ok((asset_value, vars, named))
}

/// Build the template context of one asset as JSON (what a Jinja2 peer or a test can read).
/// Secrets are resolved into it (templates need the SNMP passphrase to configure the agent).
pub fn asset_context(
    inventory: &Inventory,
    base: &ContextBase,
    asset: &Located<Asset>,
    secrets: &mut CachedResolver<'_>,
) -> Result<Value, Diagnostics> {
    secrets.prefetch(inventory, asset);
    let (asset_value, vars, named) = asset_parts(inventory, asset, secrets)?;
    let a = &asset.value;
    let (site, vlans) = base
        .sites
        .get(&a.site)
        .cloned()
        .unwrap_or((Value::Null, Value::Null));
    let connected = base.connected.get(&a.name).cloned().unwrap_or_default();
    Ok(json!({
        "asset": asset_value,
        "vars": vars,
        "secrets": named,
        "site": site,
        "vlans": vlans,
        "inventory": base.inventory,
        "connected": connected,
    }))
}

/// The same context as [`asset_context`], built as a Tera context: the site, VLANs and
/// inventory parts are Tera values made once per inventory and shared (cloning them is a
/// reference count), so only the asset's own parts are converted.
pub fn asset_tera_context(
    inventory: &Inventory,
    base: &ContextBase,
    asset: &Located<Asset>,
    secrets: &CachedResolver<'_>,
) -> Result<tera::Context, Diagnostics> {
    let (asset_value, vars, named) = asset_parts(inventory, asset, secrets)?;
    let a = &asset.value;
    let mut context = tera::Context::new();
    context.insert_value("asset", tera::Value::from_serializable(&asset_value));
    context.insert_value("vars", tera::Value::from_serializable(&vars));
    context.insert_value("secrets", tera::Value::from_serializable(&named));
    let (site, vlans) = base
        .tera_sites
        .get(&a.site)
        .cloned()
        .unwrap_or((tera::Value::none(), tera::Value::none()));
    context.insert_value("site", site);
    context.insert_value("vlans", vlans);
    context.insert_value("inventory", base.tera_inventory.clone());
    let connected = base
        .tera_connected
        .get(&a.name)
        .cloned()
        .unwrap_or_else(|| tera::Value::from_serializable(&Map::new()));
    context.insert_value("connected", connected);
    Ok(context)
}

/// One asset's intended configuration.
#[derive(Debug, Clone)]
pub struct Intent {
    /// The asset's name.
    pub asset: String,
    /// Its kind.
    pub kind: AssetKind,
    /// The template used.
    pub template: String,
    /// The rendered configuration (holds secrets: never log it).
    pub text: String,
}

/// Render every selected asset that has a template. Assets without a template (printers,
/// workstations) are skipped; a missing template is an error located at the asset. Secrets
/// are resolved first, once each; then the assets are rendered on every core, and the
/// results come back in inventory order.
pub fn render_selected(
    inventory: &Inventory,
    templates: &TemplateSet,
    resolver: &SecretResolver,
    selector: &Selector,
) -> (Vec<Intent>, Diagnostics) {
    let base = ContextBase::new(inventory);
    let mut secrets = CachedResolver::new(resolver);
    let mut diagnostics = Diagnostics::new();
    let mut work: Vec<(&Located<Asset>, String)> = Vec::new();
    for asset in inventory
        .assets
        .iter()
        .filter(|a| selector.matches(&a.value))
    {
        let Some(template) = template_name(&asset.value) else {
            continue;
        };
        if !templates.contains(&template) {
            let field = if asset.value.template.is_some() {
                "template"
            } else {
                "role"
            };
            let names = templates.names();
            let hint = match crate::diag::did_you_mean(&template, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!(
                    "create {} or fix the asset's platform/role",
                    inventory.templates_dir().join(&template).display()
                ),
            };
            diagnostics.push(
                Diagnostic::error(
                    "inventory.unknown-template",
                    format!("template `{template}` does not exist"),
                )
                .at(asset.origin.locate(&ypath![field]))
                .asset(&asset.value.name)
                .field(field)
                .hint(hint),
            );
            continue;
        }
        if inventory.site(&asset.value.site).is_none() {
            continue; // reported by the reference checks; no site plan to render with
        }
        secrets.prefetch(inventory, asset);
        work.push((asset, template));
    }
    let render_one =
        |(asset, template): &(&Located<Asset>, String)| -> Result<Intent, Diagnostics> {
            let context = asset_tera_context(inventory, &base, asset, &secrets)?;
            templates
                .render_context(template, &asset.value.name, &context)
                .map(|text| Intent {
                    asset: asset.value.name.clone(),
                    kind: asset.value.kind,
                    template: template.clone(),
                    text,
                })
                .map_err(Diagnostics::from)
        };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let results: Vec<Result<Intent, Diagnostics>> = if threads < 2 || work.len() < 64 {
        work.iter().map(render_one).collect()
    } else {
        let chunk = work.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let handles: Vec<_> = work
                .chunks(chunk)
                .map(|part| scope.spawn(|| part.iter().map(render_one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| match handle.join() {
                    Ok(results) => results,
                    Err(_) => vec![Err(Diagnostics::from(Diagnostic::error(
                        "render.failed",
                        "a rendering thread panicked",
                    )))],
                })
                .collect()
        })
    };
    let mut intents = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(intent) => intents.push(intent),
            Err(found) => diagnostics.extend(found),
        }
    }
    (intents, diagnostics)
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_key_files_may_span_lines() {
        assert!(super::pem_safe(
            "#\n# 2048 bit OpenVPN static key\n#\n-----BEGIN OpenVPN Static key V1-----\nfd1c\n-----END OpenVPN Static key V1-----\n"
        ));
        assert!(super::pem_safe(
            "-----BEGIN PRIVATE KEY-----\nMIGH+/=\n-----END PRIVATE KEY-----"
        ));
        for bad in [
            "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\nscript-security 2\n",
            "-----BEGIN PRIVATE KEY-----\n</key>\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nMIGH\n",
            "just a password",
        ] {
            assert!(!super::pem_safe(bad), "{bad}");
        }
    }
}
