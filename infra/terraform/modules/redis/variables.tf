variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "Region of the instance (the functions' region)."
  type        = string
}

variable "name" {
  description = "Instance name."
  type        = string
}

variable "network_id" {
  description = "VPC network the instance is reachable from."
  type        = string
}

variable "tier" {
  description = "BASIC (dev) or STANDARD_HA (prod: a replica in another zone, automatic failover)."
  type        = string
  default     = "BASIC"
  validation {
    condition     = contains(["BASIC", "STANDARD_HA"], var.tier)
    error_message = "tier must be BASIC or STANDARD_HA."
  }
}

variable "memory_size_gb" {
  description = "Capacity; home timelines are capped sorted sets (TIMELINE_CAP ids per user)."
  type        = number
  default     = 1
}

variable "secure" {
  description = "AUTH plus in-transit encryption (TLS with server authentication). On in prod."
  type        = bool
  default     = false
}

variable "redis_version" {
  description = "Memorystore Redis version."
  type        = string
  default     = "REDIS_7_2"
}

variable "redis_configs" {
  description = "Redis settings; the timeline engine relies on zset-max-listpack-entries (compact sorted sets up to TIMELINE_CAP)."
  type        = map(string)
  default     = { "zset-max-listpack-entries" = "1024" }
}

variable "ca_mount_path" {
  description = "Directory where functions mount the server CA (file ca.pem) when secure."
  type        = string
  default     = "/etc/secrets/redis-ca"
}
