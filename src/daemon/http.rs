//! HTTP, with axum: the status page (server-rendered HTML that refreshes itself, no script,
//! no front-end build), the JSON API, `/metrics` (Prometheus text format, blackbox_exporter
//! names: `probe_success`, `probe_duration_seconds`), `/healthz`.
//!
//! Write endpoints (acknowledge, resolve, reload) need `Authorization: Bearer <token>`, the
//! token being `monitoring.api_token` of netparc.yml (a secret reference). Without a
//! configured token they refuse everything. The token is compared in constant time and never
//! logged or echoed. A body that is not the expected JSON gets 400 with serde's message.
//!
//! These are the only JSON views of the daemon's state: the store returns plain structs.

use super::machine::Status;
use super::store::{AssetSla, Incident, StoreError, site_availability};
use super::{AssetView, Shared, now_ms};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

type AppState = Arc<Shared>;

/// Serve until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    if let Ok(address) = listener.local_addr() {
        tracing::info!(%address, "HTTP listening");
    }
    let app = router(shared);
    if let Err(error) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        tracing::error!(%error, "HTTP server failed");
    }
}

/// Every route.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(status_page))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/metrics", get(metrics))
        .route("/api/assets", get(assets))
        .route("/api/assets/{name}/history", get(history))
        .route("/api/incidents", get(incidents))
        .route("/api/incidents/{id}", get(incident))
        .route("/api/incidents/{id}/acknowledge", post(acknowledge))
        .route("/api/incidents/{id}/resolve", post(resolve))
        .route("/api/reload", post(reload))
        .with_state(shared)
}

/// A JSON error with its status.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": message.into()})),
    )
        .into_response()
}

fn store_error(e: StoreError) -> Response {
    match e {
        StoreError::NotFound(_) => error(StatusCode::NOT_FOUND, e.to_string()),
        StoreError::Resolved(_) => error(StatusCode::CONFLICT, e.to_string()),
        StoreError::Sqlite { .. } => {
            tracing::error!(error = %e, "database error in an API call");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "database error (see the daemon's log)",
            )
        }
    }
}

/// An incident as the API shows it: with its clocks and state.
#[derive(Serialize)]
struct IncidentView {
    #[serde(flatten)]
    incident: Incident,
    state: &'static str,
    clocks: super::store::Clocks,
}

fn view(incident: Incident, now: i64) -> IncidentView {
    IncidentView {
        state: incident.state(),
        clocks: incident.clocks(now),
        incident,
    }
}

async fn assets(State(shared): State<AppState>) -> Response {
    let views: Vec<AssetView> = shared.views().into_values().collect();
    axum::Json(views).into_response()
}

#[derive(Deserialize)]
struct HistoryQuery {
    limit: Option<u32>,
}

async fn history(
    State(shared): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<HistoryQuery>,
) -> Response {
    if !shared.views().contains_key(&name) {
        return error(
            StatusCode::NOT_FOUND,
            format!("no monitored asset `{name}`"),
        );
    }
    match shared
        .store
        .history(&name, query.limit.unwrap_or(100).min(10_000))
    {
        Ok(rows) => axum::Json(rows).into_response(),
        Err(e) => store_error(e),
    }
}

#[derive(Deserialize)]
struct IncidentQuery {
    /// `open` (default) or `all`.
    state: Option<String>,
    /// With `all`: how far back, e.g. `30d`.
    since: Option<String>,
}

async fn incidents(State(shared): State<AppState>, Query(query): Query<IncidentQuery>) -> Response {
    let now = now_ms();
    let found = match query.state.as_deref() {
        None | Some("open") => shared.store.open_incidents(),
        Some("all") => {
            let since = match query
                .since
                .as_deref()
                .map(crate::inventory::monitoring::Span::parse)
            {
                None => 0,
                Some(Ok(span)) => now - span.millis(),
                Some(Err(message)) => return error(StatusCode::BAD_REQUEST, message),
            };
            shared.store.incidents_since(since, 10_000)
        }
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!("state `{other}`: expected open or all"),
            );
        }
    };
    match found {
        Ok(list) => {
            axum::Json(list.into_iter().map(|i| view(i, now)).collect::<Vec<_>>()).into_response()
        }
        Err(e) => store_error(e),
    }
}

async fn incident(State(shared): State<AppState>, Path(id): Path<i64>) -> Response {
    match shared.store.incident(id) {
        Ok(found) => axum::Json(view(found, now_ms())).into_response(),
        Err(e) => store_error(e),
    }
}

/// Whether the request carries the configured token.
fn authorized(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let world = shared.world();
    let Some(token) = world.token.as_ref() else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            "no API token is configured (monitoring.api_token in netparc.yml): write endpoints are closed",
        ));
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(given) if constant_time_eq(given.as_bytes(), token.expose().as_bytes()) => Ok(()),
        _ => Err((
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            axum::Json(serde_json::json!({"error": "a valid bearer token is required"})),
        )
            .into_response()),
    }
}

/// Compare without stopping at the first difference, so timing tells nothing of the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut difference = a.len() ^ b.len();
    for (i, byte) in a.iter().enumerate() {
        difference |= usize::from(byte ^ b.get(i % b.len().max(1)).copied().unwrap_or(0));
    }
    difference == 0
}

/// The body of acknowledge and resolve.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionBody {
    /// Who (a name, for the record).
    by: String,
    /// A note (resolve).
    #[serde(default)]
    note: Option<String>,
}

fn parse_body(body: &Bytes) -> Result<ActionBody, Response> {
    let parsed: ActionBody = serde_json::from_slice(body).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            format!(
                "malformed JSON body: {e} (expected {{\"by\": \"name\", \"note\": \"optional\"}})"
            ),
        )
    })?;
    if parsed.by.trim().is_empty() || parsed.by.len() > 200 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "`by` must name who acts (1 to 200 characters)",
        ));
    }
    Ok(parsed)
}

async fn acknowledge(
    State(shared): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authorized(&shared, &headers) {
        return refused;
    }
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match shared.store.acknowledge(id, &body.by, now_ms()) {
        Ok(incident) => {
            tracing::info!(incident = id, by = %body.by, "incident acknowledged");
            super::notify::send(&shared.world(), "acknowledged", &incident);
            axum::Json(view(incident, now_ms())).into_response()
        }
        Err(e) => store_error(e),
    }
}

async fn resolve(
    State(shared): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = authorized(&shared, &headers) {
        return refused;
    }
    let body = match parse_body(&body) {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match shared
        .store
        .resolve(id, &body.by, body.note.as_deref(), now_ms())
    {
        Ok(incident) => {
            tracing::info!(incident = id, by = %body.by, "incident resolved by hand");
            super::notify::send(&shared.world(), "resolved", &incident);
            axum::Json(view(incident, now_ms())).into_response()
        }
        Err(e) => store_error(e),
    }
}

async fn reload(State(shared): State<AppState>, headers: HeaderMap) -> Response {
    if let Err(refused) = authorized(&shared, &headers) {
        return refused;
    }
    let _ = shared.reload.send(());
    (
        StatusCode::ACCEPTED,
        axum::Json(serde_json::json!({"reload": "requested"})),
    )
        .into_response()
}

/// Availability over the last 24 hours, maintenance windows left out (as `netparc sla`).
fn last_day(shared: &Shared, now: i64) -> Vec<AssetSla> {
    let since = now - 86_400_000;
    let world = shared.world();
    let maintenance =
        super::policy::maintenance_by_asset(&world.windows, &world.inventory, since, now);
    shared
        .store
        .sla_excluding(since, now, &maintenance)
        .unwrap_or_default()
}

/// Escape a Prometheus label value.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn metrics(State(shared): State<AppState>) -> Response {
    let views = shared.views();
    let now = now_ms();
    let day = last_day(&shared, now);
    let availability: BTreeMap<&str, f64> = day
        .iter()
        .filter_map(|r| r.availability.map(|a| (r.asset.as_str(), a)))
        .collect();
    let open = shared.store.open_incidents().unwrap_or_default();
    let mut out = String::new();
    let mut family = |name: &str, help: &str, rows: &mut dyn Iterator<Item = (String, String)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, value) in rows {
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {value}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        }
    };
    let labels = |v: &AssetView| {
        format!(
            "asset=\"{}\",site=\"{}\",kind=\"{}\"",
            label(&v.name),
            label(&v.site),
            label(&v.kind)
        )
    };
    family(
        "probe_success",
        "Whether the last check of the asset succeeded (1) or not (0).",
        &mut views
            .values()
            .filter_map(|v| v.last_success.map(|s| (labels(v), u8::from(s).to_string()))),
    );
    family(
        "probe_duration_seconds",
        "How long the last check of the asset took.",
        &mut views.values().filter_map(|v| {
            v.last_duration_seconds
                .map(|d| (labels(v), format!("{d:.6}")))
        }),
    );
    family(
        "netparc_asset_status",
        "The asset's state (1 for the current one).",
        &mut views.values().flat_map(|v| {
            [
                Status::Up,
                Status::Degraded,
                Status::Down,
                Status::Flapping,
                Status::Unknown,
            ]
            .into_iter()
            .map(move |s| {
                (
                    format!("{},status=\"{}\"", labels(v), s.as_str()),
                    u8::from(v.status == s).to_string(),
                )
            })
        }),
    );
    family(
        "netparc_availability_ratio",
        "Available time over observed time in the last 24 hours, maintenance windows left out.",
        &mut views.values().filter_map(|v| {
            availability
                .get(v.name.as_str())
                .map(|a| (format!("{},window=\"24h\"", labels(v)), format!("{a:.6}")))
        }),
    );
    let mut per_site: BTreeMap<&str, usize> =
        views.values().map(|v| (v.site.as_str(), 0)).collect();
    for incident in &open {
        *per_site.entry(incident.site.as_str()).or_default() += 1;
    }
    family(
        "netparc_open_incidents",
        "Incidents not resolved yet.",
        &mut per_site
            .iter()
            .map(|(site, n)| (format!("site=\"{}\"", label(site)), n.to_string())),
    );
    let breached = open.iter().filter(|i| {
        let c = i.clocks(now);
        c.gti_breached || c.gtr_breached
    });
    let breached = breached.count();
    family(
        "netparc_open_incidents_breached",
        "Open incidents past their GTI or GTR.",
        &mut std::iter::once((String::new(), breached.to_string())),
    );
    scheduler_metrics(&mut out, &shared.counters);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// The scheduler's counters: checks started, late ones (see `scheduler::LATE_AFTER`),
/// `verify_assets` batches, and the worst lateness seen.
fn scheduler_metrics(out: &mut String, counters: &super::scheduler::Counters) {
    use std::sync::atomic::Ordering::Relaxed;
    for (name, help, kind, value) in [
        (
            "netparc_checks_total",
            "Checks started.",
            "counter",
            counters.checks.load(Relaxed) as f64,
        ),
        (
            "netparc_checks_late_total",
            "Checks started more than a second after their due time (first checks aside).",
            "counter",
            counters.late.load(Relaxed) as f64,
        ),
        (
            "netparc_check_batches_total",
            "Batches of checks started together (one verify_assets call each).",
            "counter",
            counters.batches.load(Relaxed) as f64,
        ),
        (
            "netparc_check_lateness_max_seconds",
            "The largest delay between a check's due time and its start (first checks aside).",
            "gauge",
            counters.max_lateness_ms.load(Relaxed) as f64 / 1000.0,
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
}

/// Escape text for HTML.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `1h 02m`, `4m 10s`, `12s`.
pub fn human(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {:02}s", s / 60, s % 60),
        3600..86_400 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn when(ms: i64) -> String {
    let time =
        std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    crate::inventory::date::Date::timestamp(time)
}

async fn status_page(State(shared): State<AppState>) -> Html<String> {
    let views = shared.views();
    let now = now_ms();
    let day = last_day(&shared, now);
    let availability: BTreeMap<&str, Option<f64>> = day
        .iter()
        .map(|r| (r.asset.as_str(), r.availability))
        .collect();
    let sites = site_availability(&day);
    let open = shared.store.open_incidents().unwrap_or_default();
    let world = shared.world();
    let mut page = String::from(
        "<!doctype html><html lang=en><head><meta charset=utf-8>\
         <meta http-equiv=refresh content=10><title>netparc status</title><style>\
         body{font:14px system-ui,sans-serif;margin:2em;color:#222}\
         table{border-collapse:collapse;margin-bottom:1.5em}td,th{padding:.25em .8em;text-align:left;border-bottom:1px solid #ddd}\
         .up{color:#0a0}.degraded{color:#b80}.down,.breached{color:#c00;font-weight:bold}.flapping{color:#a0a}.unknown{color:#888}\
         </style></head><body>",
    );
    let _ = write!(
        page,
        "<h1>{} — status</h1><p>{} assets monitored; updated {}</p>",
        html(&world.inventory.settings.value.name),
        views.len(),
        when(now)
    );
    page.push_str("<h2>Open incidents</h2>");
    if open.is_empty() {
        page.push_str("<p id=no-incidents>None.</p>");
    } else {
        page.push_str(
            "<table id=incidents><tr><th>#</th><th>P</th><th>asset</th><th>site</th><th>kind</th>\
             <th>state</th><th>opened</th><th>clock</th><th>GTI</th><th>GTR</th><th>reason</th></tr>",
        );
        for incident in &open {
            let clocks = incident.clocks(now);
            let clock =
                |ms: i64, target: Option<i64>, due: Option<i64>, running: bool, breached: bool| {
                    let target = target
                        .map(|t| format!(" / {}", human(t)))
                        .unwrap_or_default();
                    let class = if breached { " class=breached" } else { "" };
                    // A running clock says when it falls due (business hours make it far from
                    // obvious: Friday 17:00 + 4h is Monday 11:30).
                    let running = match (running, due) {
                        (true, Some(due)) => format!(" ⏱ due {}", when(due)),
                        (true, None) => String::from(" ⏱"),
                        (false, _) => String::new(),
                    };
                    format!("<td{class}>{}{target}{running}</td>", human(ms))
                };
            let hours = match &incident.business_hours {
                Some(calendar) => format!(
                    "<td class=clock title=\"{}\">business</td>",
                    html(&calendar.describe())
                ),
                None => String::from("<td class=clock>24/7</td>"),
            };
            let _ = write!(
                page,
                "<tr class=incident data-asset=\"{asset}\"><td>{}</td><td>P{}</td><td>{asset}</td><td>{}</td>\
                 <td class={kind}>{kind}</td><td>{}</td><td>{}</td>{hours}{}{}<td>{}</td></tr>",
                incident.id,
                incident.priority,
                html(&incident.site),
                incident.state(),
                when(incident.opened_at),
                clock(
                    clocks.gti_ms,
                    incident.gti_target_ms,
                    clocks.gti_due_at,
                    clocks.gti_running,
                    clocks.gti_breached
                ),
                clock(
                    clocks.gtr_ms,
                    incident.gtr_target_ms,
                    clocks.gtr_due_at,
                    clocks.gtr_running,
                    clocks.gtr_breached
                ),
                html(&incident.reason),
                asset = html(&incident.asset),
                kind = html(&incident.kind),
            );
        }
        page.push_str("</table>");
    }
    let mut by_site: BTreeMap<&str, Vec<&AssetView>> = BTreeMap::new();
    for v in views.values() {
        by_site.entry(v.site.as_str()).or_default().push(v);
    }
    for (site, assets) in by_site {
        let ratio = sites
            .get(site)
            .copied()
            .flatten()
            .map(|a| format!("{:.3}%", a * 100.0))
            .unwrap_or_else(|| "-".into());
        let planned: i64 = day
            .iter()
            .filter(|r| r.site == site)
            .map(|r| r.maintenance_ms)
            .sum();
        let planned = if planned > 0 {
            format!(" (maintenance left out: {})", human(planned))
        } else {
            String::new()
        };
        let count = |s: Status| assets.iter().filter(|v| v.status == s).count();
        let _ = write!(
            page,
            "<h2>Site {}</h2><p>{} up, {} degraded, {} down; availability 24 h: {ratio}{planned}</p>\
             <table class=site><tr><th>asset</th><th>kind</th><th>state</th><th>since</th>\
             <th>rtt</th><th>24 h</th><th>service level</th><th>note</th></tr>",
            html(site),
            count(Status::Up),
            count(Status::Degraded),
            count(Status::Down) + count(Status::Flapping),
        );
        for v in assets {
            let note = match &v.maintenance {
                Some(window) => format!("maintenance: {}", html(window)),
                None if v.status != Status::Up => html(&v.reason),
                None => String::new(),
            };
            let _ = write!(
                page,
                "<tr class=asset data-asset=\"{name}\" data-status={status}><td>{name}</td><td>{}</td>\
                 <td class={status}>{status}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{note}</td></tr>",
                html(&v.kind),
                v.since
                    .map(|s| human(now - s))
                    .unwrap_or_else(|| "-".into()),
                v.rtt_ms
                    .map(|r| format!("{r:.1} ms"))
                    .unwrap_or_else(|| "-".into()),
                availability
                    .get(v.name.as_str())
                    .copied()
                    .flatten()
                    .map(|a| format!("{:.2}%", a * 100.0))
                    .unwrap_or_else(|| "-".into()),
                v.service_level
                    .as_deref()
                    .map(html)
                    .unwrap_or_else(|| "-".into()),
                name = html(&v.name),
                status = v.status.as_str(),
            );
        }
        page.push_str("</table>");
    }
    page.push_str("</body></html>\n");
    Html(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert!(constant_time_eq(b"secret-token", b"secret-token"));
        assert!(!constant_time_eq(b"secret-token", b"secret-tokem"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(!constant_time_eq(b"secret", b""));
        assert_eq!(human(3_723_000), "1h 02m");
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(html("<b>&"), "&lt;b&gt;&amp;");
    }
}
