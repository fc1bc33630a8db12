output "api_url" {
  description = "Base URL of the HTTP API."
  value       = module.kwetter.api_url
}

output "site_url" {
  description = "URL of the web app."
  value       = module.kwetter.site_url
}

output "site_ip" {
  description = "Load balancer IP of the web app."
  value       = module.kwetter.site_ip
}

output "site_bucket" {
  description = "Bucket the built web app goes to."
  value       = module.kwetter.site_bucket
}

output "neo4j_secrets" {
  description = "Secrets to fill with the Aura connection."
  value       = module.kwetter.neo4j_secrets
}

output "dead_letter_subscriptions" {
  description = "Where dead letters are kept."
  value       = module.kwetter.dead_letter_subscriptions
}

output "firebase_web_config" {
  description = "Firebase web config the SPA is built with."
  value       = module.kwetter.firebase_web_config
}
