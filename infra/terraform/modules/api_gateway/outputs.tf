output "url" {
  description = "Base URL of the API (https://<gateway host>)."
  value       = "https://${google_api_gateway_gateway.this.default_hostname}"
}

output "service_account" {
  description = "Identity the gateway invokes the functions as."
  value       = google_service_account.gateway.email
}

output "spec_sha256" {
  description = "Hash of the rendered OpenAPI document."
  value       = sha256(local.spec)
}
