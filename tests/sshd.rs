//! Interop: netparc's SSH client (`transport::ssh`) against OpenSSH's own server, started by
//! hand on a loopback address with a private configuration, host key and authorized key.
//! Key exchanges and host key signatures are restricted as real devices restrict them: IOS XE
//! 16 offers NIST-curve ECDH and SHA-1 Diffie-Hellman only, IOS 15 SHA-1 Diffie-Hellman and
//! SHA-1 RSA signatures only. A missing sshd fails the test with how to install it: `.ci/run`
//! installs openssh-server without starting its service. The Linux driver is driven on this
//! host through it too: real bash and coreutils instead of the twin's shell.

use crate::util::ServerProcess;
use netparc::transport::ssh::{
    Credential, HostKeyPolicy, SshAlgorithms, SshOptions, SshSession, TransportError,
};
use russh::keys::{Algorithm, PrivateKey};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

const SSHD: &str = "/usr/sbin/sshd";

/// One OpenSSH server, killed when dropped.
struct Sshd {
    _process: ServerProcess,
    address: SocketAddr,
    client_key: Arc<PrivateKey>,
    dir: tempfile::TempDir,
}

fn write_key(key: &PrivateKey, path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let text = key
        .to_openssh(russh::keys::ssh_key::LineEnding::LF)
        .unwrap();
    std::fs::write(path, text.as_bytes()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

fn user() -> String {
    let output = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

impl Sshd {
    /// Start sshd on `ip` with an Ed25519 host key (an RSA one, made by ssh-keygen, with
    /// `rsa`) and `settings` added to its configuration (`KexAlgorithms …`), and wait until
    /// it says it listens.
    fn start(ip: &str, rsa: bool, settings: &str) -> Sshd {
        assert!(
            Path::new(SSHD).exists(),
            "OpenSSH's server is not installed at {SSHD}: install openssh-server (as .ci/run \
             does, with its service kept stopped)"
        );
        let dir = tempfile::tempdir().unwrap();
        let host_key_path = dir.path().join("host_key");
        if rsa {
            let made = Command::new("ssh-keygen")
                .args(["-q", "-t", "rsa", "-b", "2048", "-N", "", "-f"])
                .arg(&host_key_path)
                .status()
                .expect("ssh-keygen (openssh-client) is installed");
            assert!(made.success());
        } else {
            let host_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
            write_key(&host_key, &host_key_path);
        }
        let client_key = PrivateKey::random(&mut rand::rng(), Algorithm::Ed25519).unwrap();
        std::fs::write(
            dir.path().join("authorized_keys"),
            client_key.public_key().to_openssh().unwrap() + "\n",
        )
        .unwrap();
        // A free port on this loopback address; sshd binds it right after.
        let port = std::net::TcpListener::bind(format!("{ip}:0"))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = format!(
            "ListenAddress {ip}:{port}\n\
             HostKey {dir}/host_key\n\
             PidFile none\n\
             AuthorizedKeysFile {dir}/authorized_keys\n\
             StrictModes no\n\
             UsePAM no\n\
             PasswordAuthentication no\n\
             KbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\n\
             LogLevel VERBOSE\n\
             {settings}\n",
            dir = dir.path().display()
        );
        let config_path = dir.path().join("sshd_config");
        std::fs::write(&config_path, config).unwrap();
        // As root, sshd wants its privilege separation directory.
        let _ = std::fs::create_dir_all("/run/sshd");
        let mut command = Command::new(SSHD);
        command.arg("-D").arg("-e").arg("-f").arg(&config_path);
        let process = ServerProcess::start(command, |line| line.contains("Server listening on"));
        Sshd {
            _process: process,
            address: format!("{ip}:{port}").parse().unwrap(),
            client_key: Arc::new(client_key),
            dir,
        }
    }

    fn options(&self, algorithms: SshAlgorithms) -> SshOptions {
        SshOptions {
            username: user(),
            credential: Credential::Key(self.client_key.clone()),
            host_keys: HostKeyPolicy {
                known_hosts: self.known_hosts(),
                accept_new: true,
            },
            connect_timeout: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(10),
            keepalive: None,
            lab_mode: true,
            algorithms,
        }
    }

    fn known_hosts(&self) -> PathBuf {
        self.dir.path().join("known_hosts")
    }

    /// Connecting as `name` with the modern algorithms fails for want of a common one, and
    /// says so: `{name} ({address}): {expected}…`.
    async fn refused_by_modern(&self, name: &str, expected: &str) {
        let error =
            match SshSession::connect(name, self.address, &self.options(SshAlgorithms::Modern))
                .await
            {
                Ok(_) => panic!("{name}: connected with modern algorithms"),
                Err(error) => error,
            };
        assert!(
            matches!(error, TransportError::NoCommonAlgorithm { .. }),
            "{error:?}"
        );
        let text = error.to_string();
        let wanted = format!("{name} ({}): {expected}", self.address);
        assert!(text.starts_with(&wanted), "{text}\nwanted: {wanted}");
    }

    /// Log in as `name` offering `algorithms`, and run a command.
    async fn reach(&self, name: &str, algorithms: SshAlgorithms) {
        let session = SshSession::connect(name, self.address, &self.options(algorithms))
            .await
            .unwrap();
        let result = session
            .exec("echo reached", Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&result.stdout), "reached\n");
        session.close().await;
    }
}

#[tokio::test]
async fn runs_commands_on_openssh_with_exit_status_and_known_hosts() {
    let sshd = Sshd::start("127.94.0.1", false, "");
    let session = SshSession::connect("gw1", sshd.address, &sshd.options(SshAlgorithms::Modern))
        .await
        .unwrap();
    let result = session
        .exec("echo out; echo err >&2; exit 3", Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&result.stdout), "out\n");
    assert_eq!(String::from_utf8_lossy(&result.stderr), "err\n");
    assert_eq!(result.status, Some(3));
    session.close().await;
    // the key was recorded on first contact: a second session needs no accept-new
    let known = std::fs::read_to_string(sshd.known_hosts()).unwrap();
    assert!(known.contains("ssh-ed25519"), "{known}");
    let mut strict = sshd.options(SshAlgorithms::Modern);
    strict.host_keys.accept_new = false;
    let session = SshSession::connect("gw1", sshd.address, &strict)
        .await
        .unwrap();
    session.close().await;
}

#[tokio::test]
async fn an_ios_xe_16_key_exchange_list_is_met_with_nist_curves() {
    // russh's own default list has no NIST-curve key exchange: this server would refuse it.
    let sshd = Sshd::start(
        "127.94.0.2",
        false,
        "KexAlgorithms ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group14-sha1",
    );
    sshd.reach("sw-old", SshAlgorithms::Modern).await;
}

#[tokio::test]
async fn a_sha1_only_server_is_refused_by_modern_and_reached_by_legacy() {
    let sshd = Sshd::start(
        "127.94.0.3",
        false,
        "KexAlgorithms diffie-hellman-group14-sha1",
    );
    sshd.refused_by_modern(
        "sw-ancient",
        "no common key exchange algorithm: the device offers diffie-hellman-group14-sha1 (SHA-1 or CBC only); netparc offers modern algorithms unless told otherwise: set `ssh: { algorithms: legacy }`",
    )
    .await;
    sshd.reach("sw-ancient", SshAlgorithms::Legacy).await;
}

#[tokio::test]
async fn an_rsa_key_signed_with_sha1_only_needs_legacy() {
    // IOS 15 signs its RSA host key with SHA-1 only (`ssh-rsa`).
    let sshd = Sshd::start("127.94.0.4", true, "HostKeyAlgorithms ssh-rsa");
    sshd.refused_by_modern(
        "sw-rsa",
        "no common host key algorithm: the device offers ssh-rsa (SHA-1 or CBC only); netparc offers modern algorithms unless told otherwise",
    )
    .await;
    sshd.reach("sw-rsa", SshAlgorithms::Legacy).await;
    // The same key signed with SHA-2, as IOS XE does: modern meets it.
    let sshd = Sshd::start(
        "127.94.0.5",
        true,
        "HostKeyAlgorithms rsa-sha2-512,rsa-sha2-256",
    );
    sshd.reach("sw-rsa2", SshAlgorithms::Modern).await;
}

#[tokio::test]
async fn cbc_ciphers_and_sha1_macs_only_need_legacy() {
    let sshd = Sshd::start("127.94.0.6", false, "Ciphers aes256-cbc\nMACs hmac-sha1");
    sshd.refused_by_modern(
        "sw-cbc",
        "no common cipher algorithm: the device offers aes256-cbc (SHA-1 or CBC only)",
    )
    .await;
    sshd.reach("sw-cbc", SshAlgorithms::Legacy).await;
}

/// The Linux driver on a real host: OpenSSH's exec channels, bash, coreutils.
#[tokio::test]
async fn the_linux_driver_installs_checks_and_removes_files_on_a_real_host() {
    use netparc::driver::{self, DriverOptions, Mode};
    use std::os::unix::fs::PermissionsExt;
    let sshd = Sshd::start("127.94.0.7", false, "");
    let root = sshd.dir.path().join("etc");
    let d = root.display();
    let server = format!(
        "# netparc: path=\"{d}/openvpn/server.conf\" mode=0600 reload=\"touch {d}/reloaded\" owns=\"{d}/openvpn/ccd\"\nport 1194\n"
    );
    let client = format!(
        "# netparc: path=\"{d}/openvpn/ccd/pc-01\" mode=0644\nifconfig-push 10.8.0.10 255.255.255.0\n"
    );
    let first = format!("{server}{client}");
    let mut linux = driver::connect(
        "linux",
        "gw-real",
        sshd.address,
        &sshd.options(SshAlgorithms::Modern),
        DriverOptions {
            intended: Some(first.clone()),
            ..DriverOptions::default()
        },
    )
    .await
    .unwrap();
    // Nothing installed yet: both files written, the service reloaded once.
    let running = linux.running_config().await.unwrap();
    assert_eq!(running, "");
    let plan = linux.plan(&first, &running, Mode::Merge).unwrap();
    assert_eq!(plan.files.len(), 2, "{plan:?}");
    linux.apply(&plan).await.unwrap();
    let mode = |path: &str| {
        std::fs::metadata(root.join(path))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(
        std::fs::read_to_string(root.join("openvpn/server.conf")).unwrap(),
        server
    );
    assert_eq!(mode("openvpn/server.conf"), 0o600);
    assert_eq!(
        std::fs::read_to_string(root.join("openvpn/ccd/pc-01")).unwrap(),
        client
    );
    assert_eq!(mode("openvpn/ccd/pc-01"), 0o644);
    assert!(root.join("reloaded").exists(), "the reload ran");
    // Read back: nothing left to do.
    let running = linux.running_config().await.unwrap();
    assert_eq!(running, first);
    assert!(
        linux
            .plan(&first, &running, Mode::Merge)
            .unwrap()
            .is_empty()
    );
    // The client goes: its owned file is removed, the service reloaded again.
    std::fs::remove_file(root.join("reloaded")).unwrap();
    let plan = linux.plan(&server, &running, Mode::Merge).unwrap();
    linux.apply(&plan).await.unwrap();
    assert!(!root.join("openvpn/ccd/pc-01").exists());
    assert!(root.join("reloaded").exists(), "the reload ran again");
    // A reload that fails is an error naming it, with what it said.
    let broken = server.replace(
        &format!("reload=\"touch {d}/reloaded\""),
        "reload=\"echo cannot reload >&2; exit 3\"",
    ) + "verb 3\n";
    let running = linux.running_config().await.unwrap();
    let plan = linux.plan(&broken, &running, Mode::Merge).unwrap();
    let error = linux.apply(&plan).await.err().unwrap().to_string();
    assert_eq!(
        error,
        "gw-real: `echo cannot reload >&2; exit 3` failed (exit status 3): cannot reload"
    );
    // What the engine does then: the backup taken before the change goes back.
    std::fs::remove_file(root.join("reloaded")).unwrap();
    linux.restore(&first).await.unwrap();
    assert_eq!(linux.running_config().await.unwrap(), first);
    assert!(root.join("reloaded").exists(), "restored, then reloaded");
    linux.close().await;
}
