//! Lua scripts: each runs atomically in Redis, so a check and its write can never interleave
//! with another replica's.
//!
//! Session records are hashes with fields `version`, `doc` and, while needed, `card`.
//! Idempotency records are hashes with `fp`, `state` (`pending` | `done`) and `response`.

use redis::Script;

/// Keeps the resolver's list after a successful write, in the same script: KEYS[2] the list;
/// ARGV[n] `add` (score ARGV[n+1]) or `rem`, ARGV[n+2] the record's member. `''` leaves the
/// list alone (a Cluster, where the list lives in another slot and is kept around the write).
const KEEP_LISTED: &str = r"
local function keep_listed(n)
  if ARGV[n] == 'add' then redis.call('ZADD', KEYS[2], ARGV[n + 1], ARGV[n + 2])
  elseif ARGV[n] == 'rem' then redis.call('ZREM', KEYS[2], ARGV[n + 2]) end
end
";

/// KEYS[1] record (KEYS[2] list); ARGV: doc, sealed card ('' = none), ttl ms ('0': no TTL,
/// a durable record), then the list's three (see [`KEEP_LISTED`]). Returns 1, or 0 if it
/// exists.
pub fn create() -> Script {
    Script::new(&format!(
        "{KEEP_LISTED}{}",
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'version', '1', 'doc', ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'card', ARGV[2]) end
if ARGV[3] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
keep_listed(4)
return 1
"
    ))
}

/// KEYS[1] record (KEYS[2] list); ARGV: expected version, new version, doc, drop card
/// ('1'|'0'), ttl ms ('0': no TTL), then the list's three (see [`KEEP_LISTED`]).
/// Returns {1, new} on success, {0, current} on a lost race, {-1, 0} when missing.
pub fn transition() -> Script {
    Script::new(&format!(
        "{KEEP_LISTED}{}",
        r"
local current = redis.call('HGET', KEYS[1], 'version')
if not current then return {-1, 0} end
if current ~= ARGV[1] then return {0, tonumber(current)} end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'doc', ARGV[3])
if ARGV[4] == '1' then redis.call('HDEL', KEYS[1], 'card') end
if ARGV[5] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
keep_listed(6)
return {1, tonumber(ARGV[2])}
"
    ))
}

/// KEYS[1] idempotency record; ARGV: fingerprint, lease ms.
/// Returns {'reserved'}, {'mismatch'}, {'pending'} or {'done', response}.
pub fn begin_idempotent() -> Script {
    Script::new(
        r"
local fp = redis.call('HGET', KEYS[1], 'fp')
if not fp then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'pending')
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {'reserved'}
end
if fp ~= ARGV[1] then return {'mismatch'} end
if redis.call('HGET', KEYS[1], 'state') == 'done' then
  return {'done', redis.call('HGET', KEYS[1], 'response')}
end
return {'pending'}
",
    )
}

/// KEYS[1] idempotency record; ARGV: fingerprint, response, ttl ms. Returns 1 if stored.
pub fn complete_idempotent() -> Script {
    Script::new(
        r"
local fp = redis.call('HGET', KEYS[1], 'fp')
if fp and fp ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'state', 'done', 'response', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
",
    )
}

/// KEYS[1] idempotency record; ARGV: response, ttl ms. Completes a pending reservation only;
/// returns 1 if it did.
pub fn answer_orphaned() -> Script {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'response', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
",
    )
}

/// KEYS[1] idempotency record; ARGV: fingerprint. Deletes our pending reservation only.
pub fn abandon_idempotent() -> Script {
    Script::new(
        r"
if redis.call('HGET', KEYS[1], 'fp') == ARGV[1] and redis.call('HGET', KEYS[1], 'state') == 'pending' then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
}

/// KEYS[1] the resolver's list; ARGV: now ms, lease ms, limit. Returns the members due at
/// `now`, each pushed to `now + lease` so another replica does not claim it meanwhile.
pub fn claim_due() -> Script {
    Script::new(
        r"
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local leased = tonumber(ARGV[1]) + tonumber(ARGV[2])
for _, member in ipairs(due) do
  redis.call('ZADD', KEYS[1], leased, member)
end
return due
",
    )
}
