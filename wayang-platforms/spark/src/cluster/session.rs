//! The connection to a Spark Connect server, shared by every job of the
//! process that names the same endpoint, with the program uploaded once.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::net::ToSocketAddrs;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use spark_connect::SparkSession;
use wayang_core::{Error, Result};

use crate::plugin::shown;
use crate::plugin::CONNECT_TIMEOUT_KEY;

/// A connected session and the name the program was uploaded under.
pub(crate) struct Session {
    pub(crate) spark: SparkSession,
    /// The endpoint as messages show it ([`shown`]).
    pub(crate) remote: String,
    pub(crate) artifact: String,
}

/// The session for `remote`, connecting (within `timeout`) and uploading the
/// running program on first use.
pub(crate) fn session(remote: &str, timeout: Duration) -> Result<Arc<Session>> {
    static SESSIONS: OnceLock<Mutex<HashMap<String, Arc<Session>>>> = OnceLock::new();
    let sessions = SESSIONS.get_or_init(Default::default);
    if let Some(session) = sessions
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(remote)
    {
        return Ok(session.clone());
    }
    let session = Arc::new(connect(remote, timeout)?);
    sessions
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(remote.to_string(), session.clone());
    Ok(session)
}

fn unreachable(remote: &str, reason: impl std::fmt::Display) -> Error {
    let remote = shown(remote);
    Error::Configuration(format!(
        "cannot reach the Spark Connect server at {remote} (spark.remote): {reason}; start one \
         (bash scripts/spark-cluster.sh start prints a local one's address) or unset spark.remote \
         to run in process"
    ))
}

fn connect(remote: &str, timeout: Duration) -> Result<Session> {
    let address = socket_address(remote)?;
    // Refused or unroutable addresses fail here at once: the client retries
    // them with backoff for minutes before it gives up.
    let socket = address
        .to_socket_addrs()
        .map_err(|e| unreachable(remote, e))?
        .next()
        .ok_or_else(|| unreachable(remote, "the host name resolves to no address"))?;
    std::net::TcpStream::connect_timeout(&socket, timeout).map_err(|e| unreachable(remote, e))?;
    let (sender, receiver) = std::sync::mpsc::channel();
    let url = remote.to_string();
    // Something listens, but it may not answer as a Connect server: the
    // session and a trivial query (connecting is lazy) are bounded as a whole
    // by a thread, which the client's blocking calls give no other way to.
    std::thread::Builder::new()
        .name("wayang-spark-connect".into())
        .spawn(move || {
            let result = SparkSession::builder()
                .remote(&url)
                .get_or_create()
                .and_then(|spark| {
                    spark.sql("SELECT 1").and_then(|df| df.collect())?;
                    Ok(spark)
                });
            let _ = sender.send(result.map_err(|e| e.to_string()));
        })
        .map_err(|e| unreachable(remote, e))?;
    let spark = match receiver.recv_timeout(timeout) {
        Ok(Ok(spark)) => spark,
        Ok(Err(reason)) => return Err(unreachable(remote, reason)),
        Err(_) => {
            return Err(unreachable(
                remote,
                format!(
                    "no answer within {} ms ({CONNECT_TIMEOUT_KEY})",
                    timeout.as_millis()
                ),
            ))
        }
    };
    let remote = shown(remote);
    let artifact = upload(&spark, &remote)?;
    tracing::info!(remote, artifact, "connected to Spark");
    Ok(Session {
        spark,
        remote,
        artifact,
    })
}

/// `host:port` of a Spark Connect URL (`sc://host[:port][/;params]`; the
/// port defaults to Spark's 15002).
fn socket_address(remote: &str) -> Result<String> {
    let rest = remote.strip_prefix("sc://").ok_or_else(|| {
        Error::Configuration(format!(
            "spark.remote: {} is not a Spark Connect URL (sc://HOST:PORT)",
            shown(remote)
        ))
    })?;
    let authority = rest.split(['/', ';']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(Error::Configuration(format!(
            "spark.remote: {} names no host (sc://HOST:PORT)",
            shown(remote)
        )));
    }
    let has_port = match authority.rsplit_once(':') {
        Some((_, port)) => !port.contains(']'),
        None => false,
    };
    Ok(if has_port {
        authority.to_string()
    } else {
        format!("{authority}:15002")
    })
}

/// Uploads the running program under a name made of its content's hash, so
/// that sessions sharing an executor never run each other's build.
fn upload(spark: &SparkSession, remote: &str) -> Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::internal(format!("cannot find the running program: {e}")))?;
    let bytes = std::fs::read(&exe)
        .map_err(|e| Error::internal(format!("cannot read {}: {e}", exe.display())))?;
    let mut hasher = foldhash::quality::FixedState::with_seed(0x0073_7061_726b).build_hasher();
    hasher.write(&bytes);
    hasher.write_usize(bytes.len());
    let name = format!("wayang-worker-{:016x}", hasher.finish());
    let dir = tempfile::tempdir()
        .map_err(|e| Error::internal(format!("cannot make a directory to upload from: {e}")))?;
    let path = dir.path().join(&name);
    std::fs::copy(&exe, &path)
        .map_err(|e| Error::internal(format!("cannot copy {}: {e}", exe.display())))?;
    let path_text = path.to_string_lossy().into_owned();
    spark.add_artifacts(&[&path_text]).map_err(|e| {
        Error::Configuration(format!(
            "cannot upload the program to the Spark Connect server at {remote}: {e}"
        ))
    })?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_addresses_of_connect_urls() {
        assert_eq!(socket_address("sc://h:1234").unwrap(), "h:1234");
        assert_eq!(socket_address("sc://h").unwrap(), "h:15002");
        assert_eq!(socket_address("sc://h:9/;token=x").unwrap(), "h:9");
        assert_eq!(socket_address("sc://[::1]").unwrap(), "[::1]:15002");
        assert!(socket_address("http://h:1").is_err());
        assert!(socket_address("sc://").is_err());
    }
}
