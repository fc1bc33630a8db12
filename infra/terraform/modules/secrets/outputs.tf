output "neo4j_env" {
  description = "Env var name => secret id, for NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD."
  value       = { for env, s in google_secret_manager_secret.neo4j : env => s.secret_id }
}

output "redis_url_secret" {
  description = "Secret id holding REDIS_URL."
  value       = google_secret_manager_secret.redis_url.secret_id
}

output "redis_url_version" {
  description = "Version of the REDIS_URL secret the functions read (pinned: a new URL redeploys)."
  value       = google_secret_manager_secret_version.redis_url.version
}

output "redis_ca_secret" {
  description = "Secret id holding the Memorystore server CA, null without TLS."
  value       = one(google_secret_manager_secret.redis_ca[*].secret_id)
}
