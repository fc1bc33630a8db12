variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "prefix" {
  description = "Prefix of the secret ids."
  type        = string
  default     = "kwetter"
}

variable "redis_url" {
  description = "REDIS_URL, stored as a secret because it carries the AUTH string in prod."
  type        = string
  sensitive   = true
}

variable "redis_tls" {
  description = "Whether Memorystore has in-transit encryption (then its CA becomes a secret)."
  type        = bool
}

variable "redis_ca_pem" {
  description = "Memorystore server CA (PEM) when in-transit encryption is on, else null."
  type        = string
  default     = null
}
