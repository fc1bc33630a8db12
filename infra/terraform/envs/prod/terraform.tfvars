# prod: Memorystore Standard (replica + failover) with AUTH and TLS, warm HTTP functions,
# Firestore delete protection and point-in-time recovery.
env                = "prod"
region             = "europe-west1"
firestore_location = "eur3"
domain             = "" # set to the site's domain for HTTPS with a managed certificate
vpc_egress         = "direct"
firestore_protect  = true

redis = {
  tier           = "STANDARD_HA"
  memory_size_gb = 5
  secure         = true
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
}

app_settings = {
  NEO4J_DATABASE          = "neo4j"
  TIMELINE_CAP            = "800"
  TIMELINE_TRIM_EVERY     = "8"
  FANOUT_BATCH_SIZE       = "1000"
  PULL_FOLLOWER_THRESHOLD = "10000"
}
