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
  description = "Memorystore tier, size and whether AUTH + TLS are on."
  type = object({
    tier           = string
    memory_size_gb = number
    secure         = bool
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
