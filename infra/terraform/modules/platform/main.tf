# The whole platform of one environment; envs/dev and envs/prod differ only in variables.
locals {
  repo_root = abspath("${path.module}/../../../..")
  labels    = merge({ app = "kwetter" }, var.labels)

  # Who touches what, from the code (shared/usecases/*, shared/bootstrap.py, functions/*/main.py): Neo4j through
  # the follow graph, Firestore through posts/media, Redis through the timelines and the rate
  # limits (posts, media uploads; users: the sign-up/follow limits of issue 16), and the topics
  # each one publishes to. Only the Redis users get REDIS_URL and VPC egress. Event functions
  # may also publish to their own dead-letter topic (shared.consumer sends a message that can
  # never be processed there itself).
  access = {
    users           = { neo4j = true, firestore = true, redis = true, kms = false, publishes = ["social-events", "account-events", "post-events", "export-requests"] }
    posts           = { neo4j = true, firestore = true, redis = true, kms = true, publishes = ["post-events", "engagement-events"] }
    timeline        = { neo4j = true, firestore = true, redis = true, kms = false, publishes = [] }
    media           = { neo4j = false, firestore = true, redis = true, kms = false, publishes = [] }
    fanout_planner  = { neo4j = true, firestore = true, redis = true, kms = true, publishes = ["fanout-batches"] }
    timeline_writer = { neo4j = false, firestore = false, redis = true, kms = false, publishes = [] }
    follow_sync     = { neo4j = true, firestore = true, redis = true, kms = false, publishes = [] }
    outbox_relay    = { neo4j = true, firestore = true, redis = false, kms = false, publishes = ["post-events", "social-events", "engagement-events", "export-requests"] }
    media_processor = { neo4j = false, firestore = true, redis = false, kms = false, publishes = [] }
    # The engagement counters read the like/repost records and posts, write Redis counters.
    engagement_counter = { neo4j = false, firestore = true, redis = true, kms = false, publishes = [] }
    # post-events carries sealed PostCreated: opening one needs the KMS key.
    post_counter = { neo4j = false, firestore = true, redis = true, kms = true, publishes = [] }
    # Erases a deleted account everywhere (shared/usecases/account.py): destroying a data key
    # deletes its Firestore document, no KMS call; the Auth account and both buckets below.
    account_eraser = { neo4j = true, firestore = true, redis = true, kms = false, publishes = [] }
    search         = { neo4j = true, firestore = true, redis = true, kms = false, publishes = [] }
    # a post-events consumer: consume() opens every sealed PostCreated before the handler
    search_indexer = { neo4j = false, firestore = true, redis = true, kms = true, publishes = [] }
    # Notifications (docs/notifications.md): the reads and read mark (cards, silencing: Neo4j),
    # and the consumer on post-, engagement- and social-events (sealed PostCreated: KMS).
    notifications = { neo4j = true, firestore = true, redis = true, kms = false, publishes = [] }
    notifier      = { neo4j = true, firestore = true, redis = true, kms = true, publishes = [] }
    # Builds data exports (POST /v1/me/export): the graph, the read model, the exports bucket.
    account_exporter = { neo4j = true, firestore = true, redis = false, kms = false, publishes = [] }
  }
  # A function the table does not know yet gets the safe minimum: no Neo4j, no publishing.
  default_access = { neo4j = false, firestore = true, redis = false, kms = false, publishes = [] }
  # kms: seals or opens events (shared/sealing.py): encrypt/decrypt with the users' key-encryption
  # key (modules/kms). The fan-out planner reads the post store and opens PostCreated: Firestore.

  all_functions = concat(module.topology.http_functions, module.topology.event_functions)
  functions = {
    for name in local.all_functions : name => merge(
      var.function_defaults,
      { for k, v in try(var.function_overrides[name], {}) : k => v if v != null },
      {
        kind      = contains(module.topology.http_functions, name) ? "http" : "event"
        neo4j     = try(local.access[name].neo4j, local.default_access.neo4j)
        firestore = try(local.access[name].firestore, local.default_access.firestore)
        redis     = try(local.access[name].redis, local.default_access.redis)
        kms       = try(local.access[name].kms, local.default_access.kms)
      },
    )
  }
  vpc_functions = [for name, f in local.functions : name if f.redis]

  # Files at the site's root (frontend/public, copied as is into dist/ by Vite): served as
  # files; any other path outside /assets/ and /m/ is a client-side route.
  static_paths = sort([for f in fileset("${local.repo_root}/frontend/public", "**") : "/${f}"])

  # The site's address is known before anything else is (a reserved IP, or the domain).
  site_base    = var.domain != "" ? "https://${var.domain}" : "http://${module.frontend.ip_address}"
  site_origins = [local.site_base]
  # The browser calls the API from the site only (shared/entrypoints/http/api.py: Access-Control-Allow-Origin).
  cors_settings = { CORS_ALLOW_ORIGIN = local.site_base }
  # Functions find the buckets and build public image URLs (site/m/<id>/<size>.webp) from these.
  media_settings = {
    UPLOADS_BUCKET        = module.media.uploads_bucket
    MEDIA_BUCKET          = module.media.media_bucket
    MEDIA_PUBLIC_BASE_URL = local.site_base
  }

  # A list, not a map by function: one function may have several subscriptions (the notifier).
  dead_letter_pairs = [for s in values(module.topology.subscriptions) : { topic = s.dead_letter_topic, function = s.function }]
  publish_pairs = distinct(concat(
    flatten([for name in local.all_functions : [
      for topic in try(local.access[name].publishes, []) : { topic = topic, function = name }
    ]]),
    local.dead_letter_pairs,
  ))
  # Keyed by names only: service account emails are unknown until the accounts exist.
  publish_grants = {
    for p in local.publish_pairs : "${p.topic}/${p.function}" => {
      topic = p.topic
      email = module.functions.service_accounts[p.function]
    }
  }
}

module "topology" {
  source        = "../topology"
  topology_file = "${local.repo_root}/shared/contracts/topology.yaml"
}

module "services" {
  source     = "../project_services"
  project_id = var.project_id
}

# Every module that creates something depends on the APIs being enabled (a reference to an
# output of module.services is not enough: project_number comes from a data source that does
# not wait for enablement). tfcheck proves it for every module call.
module "network" {
  source            = "../network"
  project_id        = var.project_id
  region            = var.region
  name              = var.name
  egress            = var.vpc_egress
  vpc_max_instances = sum(concat([0], [for name in local.vpc_functions : local.functions[name].max_instances]))
  vpc_services      = length(local.vpc_functions)
  psc               = var.redis.cluster
  depends_on        = [module.services]
}

module "search" {
  source     = "../search"
  project_id = var.project_id
  region     = var.region
  name       = var.name
  network_id = module.network.network_id
  depends_on = [module.services]
}

module "redis" {
  source            = "../redis"
  project_id        = var.project_id
  region            = var.region
  name              = "${var.name}-timelines"
  network_id        = module.network.network_id
  mode              = var.redis.cluster ? "cluster" : "instance"
  tier              = var.redis.tier
  memory_size_gb    = var.redis.memory_size_gb
  secure            = var.redis.secure
  shard_count       = var.redis.shard_count
  replica_count     = var.redis.replica_count
  node_type         = var.redis.node_type
  iam_auth          = var.redis.iam_auth
  psc_subnetwork_id = module.network.psc_subnetwork_id
  redis_configs     = var.redis_configs
  depends_on        = [module.services]
}

module "secrets" {
  source       = "../secrets"
  project_id   = var.project_id
  prefix       = var.name
  redis_url    = module.redis.url
  redis_tls    = var.redis.secure
  redis_ca_pem = module.redis.server_ca_pem
  depends_on   = [module.services]
}

module "firestore" {
  source      = "../firestore"
  project_id  = var.project_id
  location_id = var.firestore_location
  protect     = var.firestore_protect
  depends_on  = [module.services]
}

module "functions" {
  source         = "../functions"
  project_id     = var.project_id
  project_number = module.services.project_number
  region         = var.region
  repo_root      = local.repo_root
  functions      = local.functions
  # KMS_KEY_NAME: every function finds the users' key-encryption key (only kms ones may use it).
  environment            = merge(local.media_settings, local.cors_settings, module.search.environment, { KMS_KEY_NAME = module.kms.key_name, EXPORTS_BUCKET = "${var.project_id}-exports" }, var.app_settings)
  redis_environment      = module.redis.environment
  redis_iam_auth         = module.redis.iam_auth
  neo4j_secrets          = module.secrets.neo4j_env
  redis_url_secret       = module.secrets.redis_url_secret
  redis_url_version      = module.secrets.redis_url_version
  redis_tls              = var.redis.secure
  redis_ca_secret        = module.secrets.redis_ca_secret
  redis_ca_mount_path    = module.redis.ca_mount_path
  source_bucket_location = var.region
  labels                 = local.labels
  vpc = {
    egress       = module.network.egress
    network      = module.network.network_name
    subnetwork   = module.network.subnetwork_name
    connector_id = module.network.connector_id
  }
  depends_on = [module.services]
}

module "kms" {
  source     = "../kms"
  project_id = var.project_id
  location   = var.region
  key_ring   = "${var.name}-privacy"
  users      = { for name, f in local.functions : name => module.functions.service_accounts[name] if f.kms }
  labels     = local.labels
  depends_on = [module.services]
}

module "pubsub" {
  source                = "../pubsub"
  project_id            = var.project_id
  project_number        = module.services.project_number
  region                = var.region
  topics                = module.topology.topics
  dead_letter_topics    = module.topology.dead_letter_topics
  dead_letter_retention = module.topology.dead_letter_retention
  subscriptions         = module.topology.subscriptions
  function_urls         = module.functions.urls
  function_services     = module.functions.services
  publish_grants        = local.publish_grants
  labels                = local.labels
  depends_on            = [module.services]
}

module "scheduler" {
  source     = "../scheduler"
  project_id = var.project_id
  region     = var.region
  topic_id   = module.pubsub.topic_ids["outbox-ticks"]
  depends_on = [module.services]
}

module "api_gateway" {
  source           = "../api_gateway"
  project_id       = var.project_id
  region           = var.region
  api_id           = var.name
  openapi_file     = "${local.repo_root}/shared/contracts/openapi.yaml"
  backend_urls     = { for name in module.topology.http_functions : name => module.functions.urls[name] }
  backend_services = { for name in module.topology.http_functions : name => module.functions.services[name] }
  quota            = var.api_quota
  labels           = local.labels
  depends_on       = [module.services]
}

# allUsers may read an object of the public buckets by name, not list them.
resource "google_project_iam_custom_role" "public_object_reader" {
  project     = var.project_id
  role_id     = "kwetterPublicObjectReader"
  title       = "Kwetter public object reader"
  description = "Read an object by name (no listing): the site's files and the image variants."
  permissions = ["storage.objects.get"]
  depends_on  = [module.services]
}

module "frontend" {
  source           = "../frontend"
  project_id       = var.project_id
  name             = var.name
  bucket_location  = var.region
  domain           = var.domain
  require_https    = var.require_https
  public_read_role = google_project_iam_custom_role.public_object_reader.id
  static_paths     = local.static_paths
  serve_media      = true
  media_bucket     = module.media.media_bucket
  labels           = local.labels
  depends_on       = [module.services]
}

module "media" {
  source             = "../media"
  project_id         = var.project_id
  location           = var.region
  notification_topic = module.pubsub.topic_ids["media-uploads"]
  allowed_origins    = local.site_origins
  public_read_role   = google_project_iam_custom_role.public_object_reader.id
  uploaders          = { media = module.functions.service_accounts["media"] }
  processors = {
    media_processor = module.functions.service_accounts["media_processor"]
    # An erased account's uploads and variants (docs/privacy.md).
    account_eraser = module.functions.service_accounts["account_eraser"]
  }
  # Deleting a post (posts) or replacing an avatar (media) deletes its variants.
  media_writers = {
    media = module.functions.service_accounts["media"]
    posts = module.functions.service_accounts["posts"]
  }
  labels     = local.labels
  depends_on = [module.services]
}

# The project is also the Firebase project: the web app signs in with Firebase Auth and its
# ID tokens are what API Gateway accepts (issuer securetoken.google.com/<project>).
resource "google_firebase_project" "this" {
  provider   = google-beta
  project    = var.project_id
  depends_on = [module.services]
}

resource "google_firebase_web_app" "site" {
  provider        = google-beta
  project         = var.project_id
  display_name    = "Kwetter web"
  deletion_policy = "DELETE"
  depends_on      = [google_firebase_project.this]
}

# The web app's public Firebase config (its API key identifies the project, it is no secret).
data "google_firebase_web_app_config" "site" {
  provider   = google-beta
  project    = var.project_id
  web_app_id = google_firebase_web_app.site.app_id
}

# Firebase Authentication (Identity Platform): email/password sign-in, and the web app's
# domain allowed to sign in (localhost only where var.auth_localhost: a laptop against dev).
# API Gateway verifies the ID tokens (openapi.yaml securityDefinitions). google-beta: it bills
# the calls to the project (user_project_override), which Identity Toolkit requires of users.
resource "google_identity_platform_config" "auth" {
  provider = google-beta
  count    = var.identity_platform ? 1 : 0
  project  = var.project_id
  authorized_domains = compact([
    var.auth_localhost ? "localhost" : "",
    "${var.project_id}.firebaseapp.com",
    var.domain,
  ])
  sign_in {
    allow_duplicate_emails = false
    email {
      enabled           = true
      password_required = true
    }
  }
  # Identity Platform's sign-up limit per client address (default 100 an hour), lowered for a
  # period: the API only takes a temporary override (start time + duration; docs/deploy.md).
  dynamic "quota" {
    for_each = var.signup_quota == null ? [] : [var.signup_quota]
    content {
      sign_up_quota_config {
        quota          = quota.value.per_ip_per_hour
        start_time     = quota.value.start_time
        quota_duration = quota.value.duration
      }
    }
  }
  depends_on = [google_firebase_project.this]
}

# The account eraser deletes the erased person's sign-in account (Firebase Auth admin).
resource "google_project_iam_member" "eraser_auth_admin" {
  project    = var.project_id
  role       = "roles/firebaseauth.admin"
  member     = "serviceAccount:${module.functions.service_accounts["account_eraser"]}"
  depends_on = [module.services]
}

# Moderators (issue 21, docs/safety.md): admins grant and revoke the moderator role through the
# users function, which sets the account's custom claims and revokes its refresh tokens.
resource "google_project_iam_member" "users_auth_admin" {
  project    = var.project_id
  role       = "roles/firebaseauth.admin"
  member     = "serviceAccount:${module.functions.service_accounts["users"]}"
  depends_on = [module.services]
}

# Data exports (issue 23, docs/privacy.md): private archives, gone after a day; the users
# function writes them and signs short-lived URLs for them (signBlob as itself: Token Creator
# on its own account, no key file).
resource "google_storage_bucket" "exports" {
  # checkov:skip=CKV_GCP_62: archives live minutes to a day; Cloud Audit Logs cover access.
  # checkov:skip=CKV_GCP_78: versioning would keep archives the lifecycle rule must delete.
  project                     = var.project_id
  name                        = "${var.project_id}-exports"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = local.labels
  soft_delete_policy {
    retention_duration_seconds = 0
  }
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "Delete"
    }
  }
  depends_on = [module.services]
}

resource "google_storage_bucket_iam_member" "exports_writers" {
  for_each   = toset(["users", "account_eraser", "account_exporter"])
  bucket     = google_storage_bucket.exports.name
  role       = "roles/storage.objectUser"
  member     = "serviceAccount:${module.functions.service_accounts[each.key]}"
  depends_on = [module.services]
}

resource "google_service_account_iam_member" "users_signs_export_urls" {
  service_account_id = "projects/${var.project_id}/serviceAccounts/${module.functions.service_accounts["users"]}"
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${module.functions.service_accounts["users"]}"
  depends_on         = [module.services]
}
