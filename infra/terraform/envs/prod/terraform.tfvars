# prod: Memorystore for Redis Cluster (3 shards, a replica each, TLS), warm HTTP functions,
# Firestore delete protection and point-in-time recovery, HTTPS only.
env                = "prod"
region             = "europe-west1"
firestore_location = "eur3"
domain             = "" # required: the plan refuses prod without it (require_https)
require_https      = true
vpc_egress         = "direct"
firestore_protect  = true

redis = {
  tier           = "STANDARD_HA" # unused with cluster = true (the instance mode's tier)
  memory_size_gb = 5             # unused with cluster = true
  secure         = true          # TLS (server authentication)
  cluster        = true
  shard_count    = 3
  replica_count  = 1
  node_type      = "REDIS_HIGHMEM_MEDIUM"
  # The cluster has no AUTH string; IAM auth needs the client to send an access token
  # (REDIS_IAM_AUTH=1 tells it to): off until shared/ does (docs/deploy.md).
  iam_auth = false
}

# Fewer sign-ups per client address than Identity Platform's default 100 an hour, for 90 days
# from start_time (the API only takes a temporary override: renew it, docs/deploy.md).
signup_quota = {
  per_ip_per_hour = 20
  start_time      = "2026-12-07T00:00:00Z"
  duration        = "7776000s"
}

function_defaults = {
  memory          = "512Mi"
  cpu             = "1"
  timeout_seconds = 60
  min_instances   = 0
  max_instances   = 50
  concurrency     = 40
}

function_overrides = {
  # One warm instance each on the request path: no cold start for the first reader.
  users           = { min_instances = 1 }
  posts           = { min_instances = 1 }
  timeline        = { min_instances = 1, max_instances = 100 }
  timeline_writer = { timeout_seconds = 120, max_instances = 100 }
  media_processor = { memory = "2Gi", cpu = "2", timeout_seconds = 120, concurrency = 1 }
  # Search freshness (docs/search.md): a cold indexer or search instance costs seconds.
  search_indexer = { min_instances = 1 }
  search         = { min_instances = 1 }
}

app_settings = {
  NEO4J_DATABASE          = "neo4j"
  TIMELINE_CAP            = "800"
  TIMELINE_TRIM_EVERY     = "8"
  FANOUT_BATCH_SIZE       = "1000"
  PULL_FOLLOWER_THRESHOLD = "10000"
}
