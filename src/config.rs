//! Settings from the environment and an optional `lims.toml`; the environment wins.
//! Invariant: the database backend follows the URL scheme, and anything unrecognised
//! is an error at start, never a guess.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use rand::RngCore;
use serde::Deserialize;

/// Where the data lives: the backend is decided here, once, from the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://path` or a plain
    /// file path is SQLite; any other scheme, or a keyword DSN, is refused.
    pub fn parse(s: &str) -> Result<DatabaseUrl, ConfigError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ConfigError::new("DATABASE_URL is empty"));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        if let Some(path) = s.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(ConfigError::new("DATABASE_URL sqlite:// needs a file path"));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some(path) = s.strip_prefix("sqlite:") {
            if !path.is_empty() && !path.starts_with("//") {
                return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
            }
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(ConfigError::new(format!(
                "DATABASE_URL has an unsupported scheme `{scheme}://`; use postgres://… or sqlite://<file>"
            )));
        }
        if s.contains('=') {
            return Err(ConfigError::new(
                "DATABASE_URL looks like a PostgreSQL keyword string (host=… dbname=…); write it as postgres://user@host:port/dbname",
            ));
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(s)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            // Never print a password.
            DatabaseUrl::Postgres(u) => match url::Url::parse(u) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    write!(f, "{parsed}")
                }
                Err(_) => write!(f, "postgres://…"),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl ConfigError {
    pub fn new(s: impl Into<String>) -> ConfigError {
        ConfigError(s.into())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The optional `lims.toml`: the same settings as the environment, lower case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    bind: Option<String>,
    base_url: Option<String>,
    data_dir: Option<String>,
    secret: Option<String>,
    verify_per_minute: Option<String>,
    nominate_per_minute: Option<String>,
    upload_bytes_per_day: Option<String>,
    open_batches_per_user: Option<String>,
    batch_keep_days: Option<String>,
    trusted_proxies: Option<String>,
}

/// Public verifications per client and minute unless configured: generous for people
/// scanning reports, low enough to stop enumeration of codes.
pub const DEFAULT_VERIFY_PER_MINUTE: u32 = 30;

/// Public nominations (你点我检) per client address and minute unless configured: a
/// family sending a few is fine, a script sending hundreds is cut off.
pub const DEFAULT_NOMINATE_PER_MINUTE: u32 = 10;

/// What one account may make the server store, so that nothing grows without bound
/// from one account (SECURITY.md, "Quotas").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// Evidence (disposal attachment) bytes one user may upload per local day.
    pub upload_bytes_per_day: u64,
    /// Report batches one user may have queued or running at once.
    pub open_batches_per_user: u32,
    /// Days a finished batch (and its file) is kept before it is deleted.
    pub batch_keep_days: u32,
}

impl Default for Quotas {
    fn default() -> Quotas {
        Quotas {
            upload_bytes_per_day: 200 * 1024 * 1024,
            open_batches_per_user: 3,
            batch_keep_days: 7,
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub bind: String,
    /// The public URL printed in QR codes, without a trailing slash.
    pub base_url: String,
    pub data_dir: PathBuf,
    /// The server secret: signs cookies and keys verification codes. Changing it
    /// invalidates every printed report QR code.
    pub secret: Vec<u8>,
    /// Public report verifications allowed per client address and minute.
    pub verify_per_minute: u32,
    /// Public nominations and supports allowed per client address and minute.
    pub nominate_per_minute: u32,
    /// Per-user quotas on what the server stores.
    pub quotas: Quotas,
    /// The reverse proxies whose `X-Forwarded-For` names the client
    /// (`LIMS_TRUSTED_PROXIES`); empty: the header is ignored.
    pub trusted_proxies: TrustedProxies,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url.to_string())
            .field("bind", &self.bind)
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish_non_exhaustive()
    }
}

/// Reads one setting: the environment first, then the file.
fn pick(env: &dyn Fn(&str) -> Option<String>, key: &str, file: &Option<String>) -> Option<String> {
    env(key)
        .filter(|v| !v.trim().is_empty())
        .or_else(|| file.clone())
}

impl Config {
    /// Loads the configuration from the process environment and `lims.toml` (in the
    /// working directory, or where `LIMS_CONFIG` points).
    pub fn load() -> Result<Config, ConfigError> {
        let env = |k: &str| std::env::var(k).ok();
        let path = env("LIMS_CONFIG").unwrap_or_else(|| "lims.toml".to_string());
        let file = if Path::new(&path).exists() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| ConfigError::new(format!("cannot read {path}: {e}")))?;
            Some((path, text))
        } else if std::env::var("LIMS_CONFIG").is_ok() {
            return Err(ConfigError::new(format!(
                "LIMS_CONFIG names {path}, which does not exist"
            )));
        } else {
            None
        };
        Config::from_sources(&env, file.as_ref().map(|(p, t)| (p.as_str(), t.as_str())))
    }

    /// Builds the configuration from an environment lookup and an optional file
    /// `(name, text)`. Creates the data directory and, if no secret is given, a
    /// secret file in it on first start.
    pub fn from_sources(
        env: &dyn Fn(&str) -> Option<String>,
        file: Option<(&str, &str)>,
    ) -> Result<Config, ConfigError> {
        let fc: FileConfig = match file {
            Some((name, text)) => {
                toml::from_str(text).map_err(|e| ConfigError::new(format!("{name}: {e}")))?
            }
            None => FileConfig::default(),
        };
        let data_dir = PathBuf::from(
            pick(env, "LIMS_DATA_DIR", &fc.data_dir).unwrap_or_else(|| "./data".into()),
        );
        create_private_dir(&data_dir).map_err(|e| {
            ConfigError::new(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let database_url = match pick(env, "DATABASE_URL", &fc.database_url) {
            Some(u) => DatabaseUrl::parse(&u)?,
            None => DatabaseUrl::Sqlite(data_dir.join("lims.db")),
        };
        let bind = pick(env, "LIMS_BIND", &fc.bind).unwrap_or_else(|| "127.0.0.1:8080".into());
        if bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::new(format!(
                "LIMS_BIND `{bind}` is not an address like 127.0.0.1:8080"
            )));
        }
        let base_url = pick(env, "LIMS_BASE_URL", &fc.base_url)
            .unwrap_or_else(|| format!("http://{bind}"))
            .trim_end_matches('/')
            .to_string();
        match url::Url::parse(&base_url) {
            Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
            _ => {
                return Err(ConfigError::new(format!(
                    "LIMS_BASE_URL `{base_url}` is not an http(s) URL"
                )))
            }
        }
        let secret = match pick(env, "LIMS_SECRET", &fc.secret) {
            Some(s) if s.len() >= 32 => s.into_bytes(),
            Some(_) => {
                return Err(ConfigError::new(
                    "LIMS_SECRET must be at least 32 characters",
                ))
            }
            None => load_or_create_secret(&data_dir)?,
        };
        let verify_per_minute = match pick(env, "LIMS_VERIFY_PER_MINUTE", &fc.verify_per_minute) {
            None => DEFAULT_VERIFY_PER_MINUTE,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(n) if n > 0 => n,
                _ => {
                    return Err(ConfigError::new(format!(
                        "LIMS_VERIFY_PER_MINUTE `{v}` is not a positive whole number"
                    )))
                }
            },
        };
        let nominate_per_minute =
            match pick(env, "LIMS_NOMINATE_PER_MINUTE", &fc.nominate_per_minute) {
                None => DEFAULT_NOMINATE_PER_MINUTE,
                Some(v) => match v.trim().parse::<u32>() {
                    Ok(n) if n > 0 => n,
                    _ => {
                        return Err(ConfigError::new(format!(
                            "LIMS_NOMINATE_PER_MINUTE `{v}` is not a positive whole number"
                        )))
                    }
                },
            };
        let defaults = Quotas::default();
        let quotas = Quotas {
            upload_bytes_per_day: positive(
                pick(env, "LIMS_UPLOAD_BYTES_PER_DAY", &fc.upload_bytes_per_day),
                "LIMS_UPLOAD_BYTES_PER_DAY",
                defaults.upload_bytes_per_day,
            )?,
            open_batches_per_user: positive(
                pick(env, "LIMS_OPEN_BATCHES_PER_USER", &fc.open_batches_per_user),
                "LIMS_OPEN_BATCHES_PER_USER",
                defaults.open_batches_per_user,
            )?,
            batch_keep_days: positive(
                pick(env, "LIMS_BATCH_KEEP_DAYS", &fc.batch_keep_days),
                "LIMS_BATCH_KEEP_DAYS",
                defaults.batch_keep_days,
            )?,
        };
        let trusted_proxies = match pick(env, "LIMS_TRUSTED_PROXIES", &fc.trusted_proxies) {
            None => TrustedProxies::default(),
            Some(v) => TrustedProxies::parse(&v)
                .map_err(|e| ConfigError::new(format!("LIMS_TRUSTED_PROXIES `{v}`: {e}")))?,
        };
        Ok(Config {
            database_url,
            bind,
            base_url,
            data_dir,
            secret,
            verify_per_minute,
            nominate_per_minute,
            quotas,
            trusted_proxies,
        })
    }
}

/// A positive whole number setting, or its default when unset.
fn positive<T: std::str::FromStr + PartialOrd + Default>(
    value: Option<String>,
    name: &str,
    default: T,
) -> Result<T, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => match v.trim().parse::<T>() {
            Ok(n) if n > T::default() => Ok(n),
            _ => Err(ConfigError::new(format!(
                "{name} `{v}` is not a positive whole number"
            ))),
        },
    }
}

/// The reverse proxies in front of the server: addresses and CIDR networks, from a
/// comma-separated list (`10.0.0.5, 192.168.0.0/16, ::1`). A request whose TCP peer is
/// one of them has its client address read from `X-Forwarded-For` (`web::client`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (addr, bits) = match item.split_once('/') {
                Some((a, b)) => (a, Some(b)),
                None => (item, None),
            };
            let ip: IpAddr = addr
                .parse()
                .map_err(|_| format!("`{item}` is not an IP address or network"))?;
            let ip = ip.to_canonical();
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => match b.parse::<u8>() {
                    Ok(n) if n <= max => n,
                    _ => return Err(format!("`{item}` has a bad prefix length")),
                },
            };
            nets.push((ip, bits));
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `ip` is one of the proxies.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0
            .iter()
            .any(|(net, bits)| prefix_matches(*net, *bits, ip))
    }
}

/// Whether the first `bits` bits of `a` and `b` agree (false across address families).
fn prefix_matches(a: IpAddr, bits: u8, b: IpAddr) -> bool {
    let (a, b, width) = match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        _ => return false,
    };
    if bits == 0 {
        return true;
    }
    let shift = width - u32::from(bits);
    (a >> shift) == (b >> shift)
}

/// The secret kept in `<data_dir>/secret`, created with 32 random bytes on first start.
fn load_or_create_secret(dir: &Path) -> Result<Vec<u8>, ConfigError> {
    let path = dir.join("secret");
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ConfigError::new(format!("cannot read {}: {e}", path.display())))?;
        let bytes = hex::decode(text.trim())
            .map_err(|_| ConfigError::new(format!("{} is not a hex secret", path.display())))?;
        if bytes.len() < 32 {
            return Err(ConfigError::new(format!(
                "{} holds a secret that is too short",
                path.display()
            )));
        }
        return Ok(bytes);
    }
    let mut bytes = vec![0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    write_private(&path, &hex::encode(&bytes))
        .map_err(|e| ConfigError::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(bytes)
}

/// Creates a directory and any missing parents, those it creates readable by their
/// owner only (0700); directories that exist already are left as they are.
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(path)
}

/// Creates the new, empty file `path` readable and writable by its owner only (0600),
/// so that what is later written into it (a database, a backup) never was readable by
/// others, not even for a moment.
pub fn create_private_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = create_private_file(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_follows_the_url_scheme() {
        assert_eq!(
            DatabaseUrl::parse("postgres://u@h/db").unwrap(),
            DatabaseUrl::Postgres("postgres://u@h/db".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("postgresql://h/db"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").unwrap(),
            DatabaseUrl::Sqlite("data/x.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("lims.db").unwrap(),
            DatabaseUrl::Sqlite("lims.db".into())
        );
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
        assert!(DatabaseUrl::parse("host=localhost dbname=test").is_err());
        assert!(DatabaseUrl::parse("").is_err());
    }

    #[test]
    fn the_environment_wins_over_the_file_and_a_secret_is_created_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let env = move |k: &str| match k {
            "LIMS_DATA_DIR" => Some(d.clone()),
            "LIMS_BIND" => Some("127.0.0.1:9000".to_string()),
            _ => None,
        };
        let file = "bind = \"127.0.0.1:7000\"\nbase_url = \"https://lims.example.org/\"\n";
        let c = Config::from_sources(&env, Some(("lims.toml", file))).unwrap();
        assert_eq!(c.bind, "127.0.0.1:9000");
        assert_eq!(c.base_url, "https://lims.example.org");
        assert_eq!(
            c.database_url,
            DatabaseUrl::Sqlite(dir.path().join("lims.db"))
        );
        let again = Config::from_sources(&env, None).unwrap();
        assert_eq!(c.secret, again.secret);
        assert!(Config::from_sources(&env, Some(("lims.toml", "nonsense = 1"))).is_err());
    }

    #[test]
    fn quotas_have_defaults_and_refuse_zero_or_words() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().to_string_lossy().to_string();
        let with = move |k: &'static str, v: &'static str| {
            let d = d.clone();
            move |key: &str| match key {
                "LIMS_DATA_DIR" => Some(d.clone()),
                _ if key == k => Some(v.to_string()),
                _ => None,
            }
        };
        let c = Config::from_sources(&with("NONE", ""), None).unwrap();
        assert_eq!(c.quotas, Quotas::default());
        assert_eq!(c.quotas.upload_bytes_per_day, 200 * 1024 * 1024);
        let c = Config::from_sources(&with("LIMS_OPEN_BATCHES_PER_USER", "5"), None).unwrap();
        assert_eq!(c.quotas.open_batches_per_user, 5);
        let c = Config::from_sources(
            &with("NONE", ""),
            Some(("lims.toml", "batch_keep_days = \"30\"")),
        )
        .unwrap();
        assert_eq!(c.quotas.batch_keep_days, 30);
        for (k, v) in [
            ("LIMS_UPLOAD_BYTES_PER_DAY", "0"),
            ("LIMS_OPEN_BATCHES_PER_USER", "many"),
            ("LIMS_BATCH_KEEP_DAYS", "-1"),
        ] {
            let e = Config::from_sources(&with(k, v), None).unwrap_err();
            assert!(e.0.contains(k), "{e}");
        }
    }

    #[test]
    fn trusted_proxies_are_addresses_and_networks() {
        let p = TrustedProxies::parse(" 10.0.0.5, 192.168.0.0/16 ,::1, 2001:db8::/32").unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(p.contains(ip("10.0.0.5")));
        assert!(!p.contains(ip("10.0.0.6")));
        assert!(p.contains(ip("192.168.200.1")));
        assert!(!p.contains(ip("192.169.0.1")));
        assert!(p.contains(ip("::1")));
        assert!(
            p.contains(ip("::ffff:10.0.0.5")),
            "an IPv4-mapped address is IPv4"
        );
        assert!(p.contains(ip("2001:db8:ffff::1")));
        assert!(!p.contains(ip("2001:db9::1")));
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .contains(ip("8.8.8.8")));
        for bad in ["proxy.example", "10.0.0.0/33", "10.0.0.0/x", "::/129"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad}");
        }
    }
}
