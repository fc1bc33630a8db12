resource "google_redis_instance" "this" {
  # checkov:skip=CKV_GCP_95: AUTH is var.secure: on in prod; dev runs Basic without it by design, reachable only from the VPC.
  # checkov:skip=CKV_GCP_97: in-transit encryption is var.secure: on in prod; dev runs Basic without it by design.
  project            = var.project_id
  name               = var.name
  region             = var.region
  tier               = var.tier
  memory_size_gb     = var.memory_size_gb
  redis_version      = var.redis_version
  authorized_network = var.network_id
  connect_mode       = "DIRECT_PEERING"
  # Standard tier keeps one replica in another zone; Basic has none.
  replica_count           = var.tier == "STANDARD_HA" ? 1 : null
  auth_enabled            = var.secure
  transit_encryption_mode = var.secure ? "SERVER_AUTHENTICATION" : "DISABLED"
  redis_configs           = var.redis_configs
  # Timelines are a cache rebuilt from Firestore and Neo4j (make replay, regeneration):
  # persistence would cost more than a rebuild.

  maintenance_policy {
    weekly_maintenance_window {
      day = "SUNDAY"
      start_time {
        hours   = 3
        minutes = 0
      }
    }
  }
}

locals {
  scheme   = var.secure ? "rediss" : "redis"
  userinfo = var.secure ? ":${google_redis_instance.this.auth_string}@" : ""
  # redis-py reads ssl_* settings from the URL's query; the CA file is mounted from Secret
  # Manager. Memorystore's per-instance CA signs only this instance, and its certificate does
  # not name the IP we connect to, hence no hostname check.
  tls_query = var.secure ? "?ssl_cert_reqs=required&ssl_ca_certs=${var.ca_mount_path}/ca.pem&ssl_check_hostname=false" : ""
  url       = "${local.scheme}://${local.userinfo}${google_redis_instance.this.host}:${google_redis_instance.this.port}/0${local.tls_query}"
}
