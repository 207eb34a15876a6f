//! The optional webhook: a JSON POST when an incident is opened, acknowledged or resolved,
//! retried three times with a growing pause. Plain `http://` only (a collector on the same
//! host or network: a chat bridge, a ticketing gateway); one small request does not earn an
//! HTTP client crate with TLS stacks. Sent from a task, so a slow receiver never delays a
//! check. The payload holds the incident as the API shows it: no secret.

use super::store::Incident;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Send `event` about `incident` to the world's webhook, if any, in the background.
pub fn send(world: &super::World, event: &'static str, incident: &Incident) {
    let Some(url) = world.webhook.clone() else {
        return;
    };
    let lab = world.lab;
    let body = serde_json::json!({"event": event, "incident": incident}).to_string();
    tokio::spawn(async move {
        for attempt in 1..=3u32 {
            match post(&url, &body, lab).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%url, attempt, %error, "webhook failed");
                    tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
                }
            }
        }
        tracing::error!(%url, event, "webhook gave up after 3 attempts");
    });
}

/// One POST; Ok on a 2xx status. With `lab`, a destination outside loopback is refused
/// before any packet is sent, as everywhere in lab mode.
pub async fn post(url: &str, body: &str, lab: bool) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| String::from("only http:// webhooks are supported"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let work = async {
        let targets: Vec<std::net::SocketAddr> = tokio::net::lookup_host(&address)
            .await
            .map_err(|e| format!("resolve {address}: {e}"))?
            .collect();
        if lab {
            for target in &targets {
                crate::lab::address::guard_lab_destination(target.ip())?;
            }
        }
        let mut stream = tokio::net::TcpStream::connect(&targets[..])
            .await
            .map_err(|e| format!("connect {address}: {e}"))?;
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\nUser-Agent: netparc\r\n\r\n{body}",
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut head = vec![0u8; 64];
        let read = stream.read(&mut head).await.map_err(|e| e.to_string())?;
        let line = String::from_utf8_lossy(&head[..read]);
        let code = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        if code.starts_with('2') {
            Ok(())
        } else {
            Err(format!("answered {code:?}"))
        }
    };
    tokio::time::timeout(Duration::from_secs(10), work)
        .await
        .map_err(|_| String::from("timed out"))?
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn lab_mode_refuses_a_webhook_beyond_loopback() {
        let refused = super::post("http://192.0.2.10:8080/hook", "{}", true).await;
        let message = refused.unwrap_err();
        assert!(message.contains("192.0.2.10"), "{message}");
        let refused = super::post("https://127.0.0.1/hook", "{}", false).await;
        assert!(refused.unwrap_err().contains("only http://"));
    }
}
