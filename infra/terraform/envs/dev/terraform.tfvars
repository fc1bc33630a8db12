# dev: everything scales to zero except Memorystore Basic (the cheapest tier, no replica).
env                = "dev"
region             = "europe-west1"
firestore_location = "eur3"
domain             = ""
auth_localhost     = true # the web app on a laptop may sign in against dev
vpc_egress         = "direct"
firestore_protect  = false

redis = {
  tier           = "BASIC"
  memory_size_gb = 1
  secure         = false
}

function_defaults = {
  memory          = "512Mi"
  cpu             = "1"
  timeout_seconds = 60
  min_instances   = 0
  max_instances   = 5
  concurrency     = 20
}

function_overrides = {
  # Image decoding is memory hungry and one image at a time is plenty.
  media_processor = { memory = "1Gi", timeout_seconds = 120, concurrency = 1 }
  timeline_writer = { timeout_seconds = 120 }
}

app_settings = {
  NEO4J_DATABASE          = "neo4j"
  TIMELINE_CAP            = "800"
  TIMELINE_TRIM_EVERY     = "8"
  FANOUT_BATCH_SIZE       = "1000"
  PULL_FOLLOWER_THRESHOLD = "10000"
}
