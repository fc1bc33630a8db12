variable "project_id" {
  description = "The Google Cloud project of this environment (also its Firebase project)."
  type        = string
}

variable "region" {
  description = "Region of the functions, Memorystore, the gateway and the scheduler."
  type        = string
}

variable "firestore_location" {
  description = "Firestore location (e.g. eur3, nam5 or a region)."
  type        = string
}

variable "name" {
  description = "Prefix of named resources (network, site, API)."
  type        = string
  default     = "kwetter"
}

variable "domain" {
  description = "Domain of the web app; empty serves it over HTTP on the load balancer's IP."
  type        = string
  default     = ""
}

variable "redis" {
  description = "Memorystore: one instance (BASIC without AUTH/TLS in dev, STANDARD_HA with AUTH and TLS), or with cluster = true a Memorystore for Redis Cluster of shard_count shards with replica_count replicas each (tier and memory_size_gb then unused)."
  type = object({
    tier           = string
    memory_size_gb = number
    secure         = bool
    cluster        = optional(bool, false)
    shard_count    = optional(number, 3)
    replica_count  = optional(number, 1)
    node_type      = optional(string, "REDIS_HIGHMEM_MEDIUM")
    iam_auth       = optional(bool, false)
  })
}

variable "redis_configs" {
  description = "Redis settings; only keys the service accepts (modules/redis lists them; the plan fails on others). zset-max-listpack-entries is accepted by neither Memorystore for Redis nor its Cluster."
  type        = map(string)
  default     = {}
}

variable "vpc_egress" {
  description = "\"direct\" (Direct VPC egress) or \"connector\" (Serverless VPC Access)."
  type        = string
  default     = "direct"
}

variable "firestore_protect" {
  description = "Delete protection and point-in-time recovery on the Firestore database."
  type        = bool
  default     = false
}

variable "function_defaults" {
  description = "Sizing of every function unless function_overrides says otherwise."
  type = object({
    memory          = string
    cpu             = string
    timeout_seconds = number
    min_instances   = number
    max_instances   = number
    concurrency     = number
  })
  default = {
    memory          = "512Mi"
    cpu             = "1"
    timeout_seconds = 60
    min_instances   = 0
    max_instances   = 10
    concurrency     = 20
  }
}

variable "function_overrides" {
  description = "Per-function sizing (function folder name => any of memory, cpu, timeout_seconds, min/max_instances, concurrency)."
  type = map(object({
    memory          = optional(string)
    cpu             = optional(string)
    timeout_seconds = optional(number)
    min_instances   = optional(number)
    max_instances   = optional(number)
    concurrency     = optional(number)
  }))
  default = {}
}

variable "app_settings" {
  description = "Plain settings of the functions (shared/config.py), e.g. NEO4J_DATABASE, TIMELINE_CAP, PULL_FOLLOWER_THRESHOLD."
  type        = map(string)
  default     = {}
}

variable "require_https" {
  description = "Refuse to plan without a domain (the site would be plain HTTP on the load balancer's IP)."
  type        = bool
  default     = false
}

variable "auth_localhost" {
  description = "Allow sign-in from localhost (a laptop's web app against this project). Off in prod."
  type        = bool
  default     = false
}

variable "signup_quota" {
  description = "Identity Platform sign-up quota override: sign-ups per hour per client address (1-1000), from start_time (RFC 3339) for duration (e.g. \"7776000s\"). null keeps the default (100 an hour per address)."
  type = object({
    per_ip_per_hour = number
    start_time      = string
    duration        = string
  })
  default = null
}

variable "api_quota" {
  description = "API Gateway quota (requests per minute for the whole API, per consumer project); every request must then carry an API key. null: no quota."
  type = object({
    requests_per_minute = number
  })
  default = null
}

variable "identity_platform" {
  description = "Manage the Identity Platform config (email/password sign-in, authorized domains). Off if the project's Firebase Auth is managed elsewhere."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels on every resource that takes them."
  type        = map(string)
  default     = {}
}
