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
  description = "Redis settings, only keys the service accepts (local.instance_configs / local.cluster_configs; the plan fails on any other)."
  type        = map(string)
  default     = {}
}

variable "mode" {
  description = "\"instance\" (one Memorystore for Redis instance) or \"cluster\" (Memorystore for Redis Cluster)."
  type        = string
  default     = "instance"
  validation {
    condition     = contains(["instance", "cluster"], var.mode)
    error_message = "mode must be instance or cluster."
  }
}

variable "shard_count" {
  description = "Cluster only: number of shards (primaries)."
  type        = number
  default     = 3
}

variable "replica_count" {
  description = "Cluster only: replicas per shard (0-2); 1 gives automatic failover."
  type        = number
  default     = 1
}

variable "node_type" {
  description = "Cluster only: node type (REDIS_SHARED_CORE_NANO, REDIS_HIGHMEM_MEDIUM, REDIS_HIGHMEM_XLARGE, REDIS_STANDARD_SMALL)."
  type        = string
  default     = "REDIS_HIGHMEM_MEDIUM"
}

variable "iam_auth" {
  description = "Cluster only: clients authenticate with an IAM access token (AUTH_MODE_IAM_AUTH); the cluster has no AUTH string."
  type        = bool
  default     = false
}

variable "psc_subnetwork_id" {
  description = "Cluster only: subnet the Private Service Connect endpoints take their addresses from."
  type        = string
  default     = null
}

variable "ca_mount_path" {
  description = "Directory where functions mount the server CA (file ca.pem) when secure."
  type        = string
  default     = "/etc/secrets/redis-ca"
}
