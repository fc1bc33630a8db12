# The timelines' Redis: one Memorystore for Redis instance (dev, small prod) or a Memorystore
# for Redis Cluster (mode = "cluster": shards and replicas, reached through Private Service
# Connect). The functions get REDIS_URL, plus REDIS_CLUSTER = "1" for a cluster (outputs).
locals {
  cluster = var.mode == "cluster"

  # The only settings each service accepts (an unknown key fails the API call), from Google's
  # lists: memorystore/docs/redis/supported-redis-configurations and
  # memorystore/docs/cluster/supported-instance-configurations. infra/tfcheck holds the same
  # lists (REDIS_CONFIGS) and proves every configured key against them offline; a test keeps
  # the two equal. zset-max-listpack-entries is on neither list.
  instance_configs = [
    "activedefrag", "databases", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
    "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush", "lfu-decay-time", "lfu-log-factor",
    "maxmemory-clients", "maxmemory-gb", "maxmemory-policy", "notify-keyspace-events",
    "stream-node-max-bytes", "stream-node-max-entries",
  ]
  cluster_configs = [
    "maxclients", "maxmemory", "maxmemory-clients", "maxmemory-policy", "notify-keyspace-events",
    "slowlog-log-slower-than",
  ]
  unsupported = setsubtract(keys(var.redis_configs), local.cluster ? local.cluster_configs : local.instance_configs)
}

resource "google_redis_instance" "this" {
  # checkov:skip=CKV_GCP_95: AUTH is var.secure: on in prod; dev runs Basic without it by design, reachable only from the VPC.
  # checkov:skip=CKV_GCP_97: in-transit encryption is var.secure: on in prod; dev runs Basic without it by design.
  count              = local.cluster ? 0 : 1
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

  lifecycle {
    precondition {
      condition     = length(local.unsupported) == 0
      error_message = "Memorystore for Redis does not accept these redis_configs: ${join(", ", local.unsupported)}."
    }
  }
}

# Memorystore for Redis Cluster creates its endpoints in our VPC through Private Service
# Connect: this policy lets it do so in the PSC subnet.
resource "google_network_connectivity_service_connection_policy" "redis" {
  count         = local.cluster ? 1 : 0
  project       = var.project_id
  name          = "${var.name}-psc"
  location      = var.region
  service_class = "gcp-memorystore-redis"
  description   = "Memorystore for Redis Cluster endpoints of ${var.name}"
  network       = var.network_id
  psc_config {
    subnetworks = [var.psc_subnetwork_id]
  }
}

resource "google_redis_cluster" "this" {
  count                   = local.cluster ? 1 : 0
  project                 = var.project_id
  name                    = var.name
  region                  = var.region
  shard_count             = var.shard_count
  replica_count           = var.replica_count
  node_type               = var.node_type
  transit_encryption_mode = var.secure ? "TRANSIT_ENCRYPTION_MODE_SERVER_AUTHENTICATION" : "TRANSIT_ENCRYPTION_MODE_DISABLED"
  # The cluster has no AUTH string: IAM authentication or none (docs/deploy.md).
  authorization_mode          = var.iam_auth ? "AUTH_MODE_IAM_AUTH" : "AUTH_MODE_DISABLED"
  redis_configs               = var.redis_configs
  deletion_protection_enabled = false # a cache: rebuilt from Firestore and Neo4j

  psc_configs {
    network = var.network_id
  }

  zone_distribution_config {
    mode = "MULTI_ZONE"
  }

  maintenance_policy {
    weekly_maintenance_window {
      day = "SUNDAY"
      start_time {
        hours   = 3
        minutes = 0
      }
    }
  }

  lifecycle {
    precondition {
      condition     = length(local.unsupported) == 0
      error_message = "Memorystore for Redis Cluster does not accept these redis_configs: ${join(", ", local.unsupported)}."
    }
  }

  depends_on = [google_network_connectivity_service_connection_policy.redis]
}

locals {
  instance = one(google_redis_instance.this[*])
  clus     = one(google_redis_cluster.this[*])
  # Every CA the service reports, not only the first: during a CA rotation the old and the new
  # one are both listed and the server may present either.
  server_cas = local.cluster ? flatten([
    for ca in try(local.clus.managed_server_ca[0].ca_certs, []) : ca.certificates
  ]) : [for ca in local.instance.server_ca_certs : ca.cert]

  host = local.cluster ? local.clus.discovery_endpoints[0].address : local.instance.host
  port = local.cluster ? local.clus.discovery_endpoints[0].port : local.instance.port

  scheme = var.secure ? "rediss" : "redis"
  # Only the instance has an AUTH string (auth_enabled); the cluster authenticates by IAM or not at all.
  userinfo = var.secure && !local.cluster ? ":${local.instance.auth_string}@" : ""
  # redis-py reads ssl_* settings from the URL's query; the CA file is mounted from Secret
  # Manager. Memorystore's per-instance CA signs only this instance, and its certificate does
  # not name the IP we connect to, hence no hostname check.
  tls_query = var.secure ? "?ssl_cert_reqs=required&ssl_ca_certs=${var.ca_mount_path}/ca.pem&ssl_check_hostname=false" : ""
  url       = "${local.scheme}://${local.userinfo}${local.host}:${local.port}/0${local.tls_query}"
}
