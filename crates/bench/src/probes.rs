//! What the bench reads besides its own clocks: the process's RSS, the bench Redis's
//! `INFO`, and payorch's own metrics (Redis round trips).

/// This process's resident set (payorch and the load generator share it), in MiB.
pub fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Reads `INFO <section>` of the bench's own redis-server.
pub struct RedisInfo {
    pub connection: redis::aio::MultiplexedConnection,
}

impl RedisInfo {
    pub async fn connect(url: &str) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| e.to_string())?;
        let connection = client
            .get_multiplexed_async_connection()
            .await
            .map_err(|e| e.to_string())?;
        Ok(Self { connection })
    }

    pub async fn section(&mut self, section: &str) -> Result<String, String> {
        redis::cmd("INFO")
            .arg(section)
            .query_async(&mut self.connection)
            .await
            .map_err(|e| e.to_string())
    }

    /// Commands served so far, INFO itself excluded.
    pub async fn commands(&mut self) -> Result<u64, String> {
        let stats = self.section("commandstats").await?;
        Ok(stats
            .lines()
            .filter(|l| l.starts_with("cmdstat_") && !l.starts_with("cmdstat_info:"))
            .filter_map(|l| l.split("calls=").nth(1))
            .filter_map(|rest| rest.split(',').next())
            .filter_map(|calls| calls.parse::<u64>().ok())
            .sum())
    }

    pub async fn used_memory(&mut self) -> Result<u64, String> {
        let memory = self.section("memory").await?;
        memory
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| "no used_memory in INFO memory".to_owned())
    }
}

/// Redis round trips payorch made so far (this process's own metrics: the `_count` of
/// `payorch_store_request_duration_seconds`, one observation per round trip).
pub fn store_round_trips() -> u64 {
    payorch::telemetry::metrics_handle()
        .render()
        .lines()
        .filter(|line| line.starts_with("payorch_store_request_duration_seconds_count"))
        .filter_map(|line| line.rsplit(' ').next())
        .filter_map(|count| count.parse::<f64>().ok())
        .map(|count| count as u64)
        .sum()
}
