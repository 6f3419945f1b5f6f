//! The connection to a Spark Connect server, shared by every job of the
//! process that names the same endpoint, with the program uploaded once.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use spark_connect::SparkSession;
use wayang_core::{Error, Result};

/// A connected session and the name the program was uploaded under.
pub(crate) struct Session {
    pub(crate) spark: SparkSession,
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
    Error::Configuration(format!(
        "cannot reach the Spark Connect server at {remote} (spark.remote): {reason}; start one \
         (bash scripts/spark-cluster.sh start prints a local one's address) or unset spark.remote \
         to run in process"
    ))
}

fn connect(remote: &str, timeout: Duration) -> Result<Session> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let url = remote.to_string();
    // The client has no connect timeout of its own: a thread bounds it.
    std::thread::Builder::new()
        .name("wayang-spark-connect".into())
        .spawn(move || {
            let result = SparkSession::builder().remote(&url).get_or_create();
            let _ = sender.send(result.map_err(|e| e.to_string()));
        })
        .map_err(|e| unreachable(remote, e))?;
    let spark = match receiver.recv_timeout(timeout) {
        Ok(Ok(spark)) => spark,
        Ok(Err(reason)) => return Err(unreachable(remote, reason)),
        Err(_) => {
            return Err(unreachable(
                remote,
                format!("no answer within {} ms", timeout.as_millis()),
            ))
        }
    };
    // A trivial query proves the server answers (connecting is lazy).
    spark
        .sql("SELECT 1")
        .and_then(|df| df.collect())
        .map_err(|e| unreachable(remote, e))?;
    let artifact = upload(&spark, remote)?;
    tracing::info!(remote, artifact, "connected to Spark");
    Ok(Session {
        spark,
        remote: remote.to_string(),
        artifact,
    })
}

/// Uploads the running program under a name made of its content's hash, so
/// that sessions sharing an executor never run each other's build.
fn upload(spark: &SparkSession, remote: &str) -> Result<String> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::internal(format!("cannot find the running program: {e}")))?;
    let bytes = std::fs::read(&exe)
        .map_err(|e| Error::internal(format!("cannot read {}: {e}", exe.display())))?;
    let mut hasher = foldhash::quality::FixedState::with_seed(0x7370_6172_6b).build_hasher();
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
