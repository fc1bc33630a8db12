output "network_id" {
  description = "VPC network id (Memorystore's authorized network)."
  value       = google_compute_network.this.id
}

output "network_name" {
  description = "VPC network name."
  value       = google_compute_network.this.name
}

output "subnetwork_name" {
  description = "Subnet the functions' Direct VPC egress uses."
  value       = google_compute_subnetwork.functions.name
}

output "egress" {
  description = "\"direct\" or \"connector\"."
  value       = var.egress
}

output "connector_id" {
  description = "Serverless VPC Access connector id, null with Direct VPC egress."
  value       = one(google_vpc_access_connector.this[*].id)
}

output "psc_subnetwork_id" {
  description = "Private Service Connect subnet id, null without psc."
  value       = one(google_compute_subnetwork.psc[*].id)
}
