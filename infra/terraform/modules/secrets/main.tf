locals {
  # Aura's connection details: Terraform creates the secrets, the operator adds their values
  # with `gcloud secrets versions add` (docs/deploy.md), so they never enter state or tfvars.
  neo4j = {
    NEO4J_URI      = "${var.prefix}-neo4j-uri"
    NEO4J_USER     = "${var.prefix}-neo4j-user"
    NEO4J_PASSWORD = "${var.prefix}-neo4j-password"
  }
}

resource "google_secret_manager_secret" "neo4j" {
  for_each  = local.neo4j
  project   = var.project_id
  secret_id = each.value
  labels    = { app = "kwetter" }
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret" "redis_url" {
  project   = var.project_id
  secret_id = "${var.prefix}-redis-url"
  labels    = { app = "kwetter" }
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "redis_url" {
  secret      = google_secret_manager_secret.redis_url.id
  secret_data = var.redis_url
}

resource "google_secret_manager_secret" "redis_ca" {
  count     = var.redis_tls ? 1 : 0
  project   = var.project_id
  secret_id = "${var.prefix}-redis-ca"
  labels    = { app = "kwetter" }
  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "redis_ca" {
  count       = var.redis_tls ? 1 : 0
  secret      = google_secret_manager_secret.redis_ca[0].id
  secret_data = var.redis_ca_pem
}
