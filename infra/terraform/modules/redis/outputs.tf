output "url" {
  description = "REDIS_URL for the functions (contains the AUTH string when secure)."
  value       = local.url
  sensitive   = true
}

output "server_ca_pem" {
  description = "PEM of the instance's server CA when secure, else null."
  value       = var.secure ? google_redis_instance.this.server_ca_certs[0].cert : null
}

output "host" {
  description = "Private IP of the primary."
  value       = google_redis_instance.this.host
}

output "ca_mount_path" {
  description = "Where functions mount ca.pem."
  value       = var.ca_mount_path
}
