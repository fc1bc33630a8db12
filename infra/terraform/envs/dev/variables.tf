variable "project_id" {
  description = "Google Cloud project of this environment (make deploy passes PROJECT)."
  type        = string
}

variable "env" {
  description = "Environment name (a label on every resource)."
  type        = string
}

variable "region" {
  description = "Region of the functions, Memorystore, API Gateway and Cloud Scheduler."
  type        = string
}

variable "firestore_location" {
  description = "Firestore location."
  type        = string
}

variable "domain" {
  description = "Domain of the web app; empty serves it over HTTP on the load balancer IP."
  type        = string
  default     = ""
}

variable "redis" {
  description = "Memorystore: tier, size, AUTH + TLS; cluster = true for Memorystore for Redis Cluster (shard_count, replica_count, node_type, iam_auth)."
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

variable "vpc_egress" {
  description = "\"direct\" (Direct VPC egress) or \"connector\" (Serverless VPC Access)."
  type        = string
  default     = "direct"
}

variable "firestore_protect" {
  description = "Delete protection and PITR on Firestore."
  type        = bool
}

variable "function_defaults" {
  description = "Sizing of every function."
  type = object({
    memory          = string
    cpu             = string
    timeout_seconds = number
    min_instances   = number
    max_instances   = number
    concurrency     = number
  })
}

variable "function_overrides" {
  description = "Per-function sizing overrides."
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
  description = "Plain function settings (shared/config.py)."
  type        = map(string)
  default     = {}
}

variable "require_https" {
  description = "Refuse to plan without a domain (prod)."
  type        = bool
  default     = false
}

variable "auth_localhost" {
  description = "Allow Firebase sign-in from localhost (dev only)."
  type        = bool
  default     = false
}

variable "signup_quota" {
  description = "Identity Platform sign-up quota override (per client address per hour, start time, duration); null: the default."
  type = object({
    per_ip_per_hour = number
    start_time      = string
    duration        = string
  })
  default = null
}

variable "api_quota" {
  description = "API Gateway quota for the whole API (requests per minute); needs an API key on every request. null: none."
  type = object({
    requests_per_minute = number
  })
  default = null
}
