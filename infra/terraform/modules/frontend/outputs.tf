output "url" {
  description = "Site URL: https://<domain>, or http://<ip> without a domain."
  value       = local.https ? "https://${var.domain}" : "http://${google_compute_global_address.site.address}"
}

output "ip_address" {
  description = "The load balancer's IP (point the domain's A record here)."
  value       = google_compute_global_address.site.address
}

output "bucket" {
  description = "Bucket the built web app is uploaded to."
  value       = google_storage_bucket.site.name
}
