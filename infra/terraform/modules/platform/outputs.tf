output "api_url" {
  description = "Base URL of the HTTP API (API Gateway)."
  value       = module.api_gateway.url
}

output "site_url" {
  description = "URL of the web app."
  value       = module.frontend.url
}

output "site_ip" {
  description = "The web app's load balancer IP (the domain's A record)."
  value       = module.frontend.ip_address
}

output "site_bucket" {
  description = "Bucket `make deploy` uploads frontend/dist to."
  value       = module.frontend.bucket
}

output "function_urls" {
  description = "Function => Cloud Run URL (not publicly invokable)."
  value       = module.functions.urls
}

output "neo4j_secrets" {
  description = "Secrets to fill with the Aura connection (gcloud secrets versions add)."
  value       = module.secrets.neo4j_env
}

output "dead_letter_subscriptions" {
  description = "Dead-letter topic => pull subscription keeping its messages (make dlq)."
  value       = module.pubsub.dead_letter_subscriptions
}

output "firebase_web_config" {
  description = "What the web app is built with (VITE_FIREBASE_*): public identifiers, not secrets."
  value = {
    project_id  = var.project_id
    api_key     = data.google_firebase_web_app_config.site.api_key
    auth_domain = data.google_firebase_web_app_config.site.auth_domain
  }
}
