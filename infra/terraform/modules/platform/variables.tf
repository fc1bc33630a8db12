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
  description = "Memorystore: BASIC without AUTH/TLS in dev; STANDARD_HA with AUTH and TLS in prod."
  type = object({
    tier           = string
    memory_size_gb = number
    secure         = bool
  })
}

variable "redis_configs" {
  description = "Redis settings the timeline engine relies on."
  type        = map(string)
  default     = { "zset-max-listpack-entries" = "1024" }
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
