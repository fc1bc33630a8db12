variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "Region of the functions."
  type        = string
}

variable "repo_root" {
  description = "The repository root: sources are functions/<name>/ plus the shared/ package."
  type        = string
}

variable "runtime" {
  description = "Cloud Functions runtime."
  type        = string
  default     = "python312"
}

variable "functions" {
  description = "Function (folder name) => kind (http/event), sizing and what it may access."
  type = map(object({
    kind            = string
    memory          = string
    cpu             = string
    timeout_seconds = number
    min_instances   = number
    max_instances   = number
    concurrency     = number
    neo4j           = bool
    firestore       = bool
    redis           = bool
    kms             = bool
  }))
  validation {
    condition     = alltrue([for f in values(var.functions) : contains(["http", "event"], f.kind)])
    error_message = "kind is http (behind API Gateway) or event (Pub/Sub push)."
  }
}

variable "environment" {
  description = "Plain environment variables of every function (no secrets)."
  type        = map(string)
  validation {
    # These point the clients at local emulators; shared/entrypoints/http/auth.py would accept unsigned tokens.
    condition = length(setintersection(keys(var.environment), [
      "FIREBASE_AUTH_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST",
      "STORAGE_EMULATOR_HOST", "KWETTER_LOCAL",
    ])) == 0
    error_message = "Emulator settings must never reach the cloud."
  }
  validation {
    # The browser may call the API from the site's origin only (shared/entrypoints/http/api.py reads it).
    condition     = try(var.environment["CORS_ALLOW_ORIGIN"], "") != "" && !strcontains(try(var.environment["CORS_ALLOW_ORIGIN"], ""), "*")
    error_message = "CORS_ALLOW_ORIGIN must be set to the site's origin, never \"*\"."
  }
}

variable "redis_environment" {
  description = "Plain settings of the functions that use Redis (REDIS_CLUSTER, REDIS_IAM_AUTH, REDIS_WAIT_REPLICAS)."
  type        = map(string)
  default     = {}
}

variable "redis_iam_auth" {
  description = "Grant roles/redis.dbConnectionUser to the functions that use Redis (cluster with IAM authentication)."
  type        = bool
  default     = false
}

variable "project_number" {
  description = "Project number (names the bucket Cloud Functions copies sources to)."
  type        = string
}

variable "images_kept" {
  description = "Artifact Registry cleanup: the most recent image versions kept per function."
  type        = number
  default     = 5
}

variable "image_max_age_days" {
  description = "Artifact Registry cleanup: older images than this are deleted (the kept ones excepted)."
  type        = number
  default     = 30
}

variable "neo4j_secrets" {
  description = "Env var => Secret Manager secret id for the Neo4j connection (NEO4J_URI/USER/PASSWORD)."
  type        = map(string)
}

variable "redis_url_secret" {
  description = "Secret id of REDIS_URL."
  type        = string
}

variable "redis_url_version" {
  description = "Version of the REDIS_URL secret."
  type        = string
}

variable "redis_tls" {
  description = "Whether Memorystore has in-transit encryption (then its CA is mounted)."
  type        = bool
}

variable "redis_ca_secret" {
  description = "Secret id of the Memorystore CA (mounted as a file), null without TLS."
  type        = string
  default     = null
}

variable "redis_ca_mount_path" {
  description = "Directory the CA is mounted at (REDIS_URL names <dir>/ca.pem)."
  type        = string
  default     = "/etc/secrets/redis-ca"
}

variable "vpc" {
  description = "How functions reach Memorystore: Direct VPC egress (network/subnetwork) or a connector."
  type = object({
    egress       = string
    network      = string
    subnetwork   = string
    connector_id = optional(string)
  })
}

variable "source_bucket_location" {
  description = "Location of the bucket holding the source zips."
  type        = string
}

variable "labels" {
  description = "Labels on every resource that takes them."
  type        = map(string)
  default     = {}
}
