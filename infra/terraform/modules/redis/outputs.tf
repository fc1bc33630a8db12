output "url" {
  description = "REDIS_URL for the functions (contains the AUTH string of a secure instance)."
  value       = local.url
  sensitive   = true
}

output "server_ca_pem" {
  description = "PEM of every server CA when secure (all of them: CA rotation), else null."
  value       = var.secure ? join("\n", local.server_cas) : null
}

output "host" {
  description = "Private IP of the primary (instance) or of the discovery endpoint (cluster)."
  value       = local.host
}

output "ca_mount_path" {
  description = "Where functions mount ca.pem."
  value       = var.ca_mount_path
}

output "environment" {
  description = "Plain settings of the functions that use Redis: REDIS_CLUSTER (\"1\" for a cluster), REDIS_IAM_AUTH, and REDIS_WAIT_REPLICAS (\"1\" where there is a replica: timeline writes are acknowledged once replicated)."
  value = {
    REDIS_CLUSTER       = local.cluster ? "1" : "0"
    REDIS_IAM_AUTH      = local.cluster && var.iam_auth ? "1" : "0"
    REDIS_WAIT_REPLICAS = (local.cluster ? var.replica_count > 0 : var.tier == "STANDARD_HA") ? "1" : "0"
  }
}

output "iam_auth" {
  description = "Whether clients authenticate with an IAM access token (cluster with iam_auth)."
  value       = local.cluster && var.iam_auth
}
