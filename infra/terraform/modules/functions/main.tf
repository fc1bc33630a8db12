# Bundling, in Terraform alone: each function's zip holds functions/<name>/* at its root plus
# the shared/ package beside main.py (so `import shared...` works), without caches. Sources are text, read with file(); the zip is
# deterministic (the archive provider fixes timestamps), so its MD5 names the uploaded object
# and a change to either folder, and only a change, rebuilds the function.
locals {
  text_file = "\\.(py|pyi|typed|txt|yaml|yml|json|toml|cfg|lua)$"
  shared_files = sort([
    for f in fileset("${var.repo_root}/shared", "**") : f
    if !strcontains(f, "__pycache__") && can(regex(local.text_file, f))
  ])
  function_files = {
    for name, _ in var.functions : name => sort([
      for f in fileset("${var.repo_root}/functions/${name}", "**") : f
      if !strcontains(f, "__pycache__") && can(regex(local.text_file, f))
    ])
  }
  service_names = { for name, _ in var.functions : name => replace(name, "_", "-") }
  neo4j_grants = merge([
    for name, f in var.functions : {
      for env, secret in var.neo4j_secrets : "${name}/${env}" => { function = name, secret = secret }
    } if f.neo4j
  ]...)
  redis_secrets = var.redis_tls ? { url = var.redis_url_secret, ca = var.redis_ca_secret } : { url = var.redis_url_secret }
  # Only the functions that use Redis get its secrets, its settings and VPC egress.
  redis_grants = merge([
    for name, f in var.functions : {
      for kind, secret in local.redis_secrets : "${name}/${kind}" => { function = name, secret = secret }
    } if f.redis
  ]...)
  builder = "serviceAccount:${google_service_account.builder.email}"
  # The buckets a build reads: our source zips, and the copy Cloud Functions makes of them.
  build_buckets = [
    google_storage_bucket.sources.name,
    "gcf-v2-sources-${var.project_number}-${var.region}",
  ]
}

data "archive_file" "source" {
  for_each    = var.functions
  type        = "zip"
  output_path = "${path.root}/.build/${each.key}.zip"

  dynamic "source" {
    for_each = toset(local.function_files[each.key])
    content {
      content  = file("${var.repo_root}/functions/${each.key}/${source.value}")
      filename = source.value
    }
  }

  dynamic "source" {
    for_each = toset(local.shared_files)
    content {
      content  = file("${var.repo_root}/shared/${source.value}")
      filename = "shared/${source.value}"
    }
  }
}

resource "google_storage_bucket" "sources" {
  # checkov:skip=CKV_GCP_62: written only by Terraform and read only by Cloud Build; Cloud Audit Logs cover it, legacy usage logs would add a third bucket for nothing.
  project                     = var.project_id
  name                        = "${var.project_id}-function-sources"
  location                    = var.source_bucket_location
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
  labels                      = var.labels
  versioning {
    enabled = true
  }
  # Zips are only read while a function builds. The live ones (named by their MD5, replaced
  # when the code changes) stay; a replaced zip is a noncurrent version, deleted after a month.
  # An age rule would delete live zips too, which Terraform would upload again every month.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "source" {
  for_each = var.functions
  bucket   = google_storage_bucket.sources.name
  name     = "${each.key}/${data.archive_file.source[each.key].output_md5}.zip"
  source   = data.archive_file.source[each.key].output_path
}

# One identity per function, granted only what that function needs (below and in the pubsub
# module, which grants publishing on exactly the topics a function publishes to).
resource "google_service_account" "function" {
  for_each     = var.functions
  project      = var.project_id
  account_id   = "fn-${local.service_names[each.key]}"
  display_name = "Kwetter function ${each.key}"
}

# Firestore has no finer IAM than the project (database-level conditions aside).
resource "google_project_iam_member" "datastore_user" {
  for_each = { for name, f in var.functions : name => f if f.firestore }
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

resource "google_secret_manager_secret_iam_member" "neo4j" {
  for_each  = local.neo4j_grants
  project   = var.project_id
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

resource "google_secret_manager_secret_iam_member" "redis" {
  for_each  = local.redis_grants
  project   = var.project_id
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# Memorystore for Redis Cluster with IAM authentication: the functions that use Redis connect
# with an access token of their own identity.
resource "google_project_iam_member" "redis_iam_auth" {
  for_each = { for name, f in var.functions : name => f if f.redis && var.redis_iam_auth }
  project  = var.project_id
  role     = "roles/redis.dbConnectionUser"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Builds run as this account rather than the Compute Engine default one (which may be Editor).
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "kwetter-fn-builder"
  display_name = "Builds Kwetter functions"
}

resource "google_project_iam_member" "builder_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = local.builder
}

# Builds run third-party pip code: they may read the source buckets only, not the uploads or
# the Terraform state (which holds the Redis AUTH string). The Cloud Functions copy bucket
# (gcf-v2-sources-<number>-<region>) is created by the service on first deploy, so a bucket
# grant cannot name it in advance: a project grant limited to these buckets by a condition.
resource "google_project_iam_member" "builder_sources" {
  project = var.project_id
  role    = "roles/storage.objectViewer"
  member  = local.builder
  condition {
    title       = "kwetter-function-sources-only"
    description = "Only the buckets holding function sources."
    expression = join(" || ", flatten([
      for b in local.build_buckets : [
        "resource.name == \"projects/_/buckets/${b}\"",
        "resource.name.startsWith(\"projects/_/buckets/${b}/\")",
      ]
    ]))
  }
}

# The function images, in a repository of our own so that old ones are cleaned up (the
# default gcf-artifacts repository keeps every image forever).
resource "google_artifact_registry_repository" "images" {
  # checkov:skip=CKV_GCP_84: Google-managed encryption; the images hold the public source of the functions and their pip dependencies.
  project       = var.project_id
  location      = var.region
  repository_id = "kwetter-functions"
  description   = "Images of the Kwetter functions (built by Cloud Build)"
  format        = "DOCKER"
  labels        = var.labels

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.images_kept
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      tag_state  = "ANY"
      older_than = "${var.image_max_age_days * 86400}s"
    }
  }
}

resource "google_artifact_registry_repository_iam_member" "builder" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.writer"
  member     = local.builder
}

resource "google_cloudfunctions2_function" "this" {
  for_each    = var.functions
  project     = var.project_id
  location    = var.region
  name        = local.service_names[each.key]
  description = "Kwetter ${each.value.kind} function ${each.key}"
  labels      = merge(var.labels, { kind = each.value.kind })

  build_config {
    runtime           = var.runtime
    entry_point       = each.key
    service_account   = google_service_account.builder.id
    docker_repository = google_artifact_registry_repository.images.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source[each.key].name
      }
    }
  }

  # No event_trigger: event functions receive explicit Pub/Sub push subscriptions (pubsub
  # module) carrying the topology's dead-letter and retry policy; functions-framework turns the
  # push into a CloudEvent using the endpoint path /projects/<p>/topics/<t>.
  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout_seconds
    min_instance_count               = each.value.min_instances
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    service_account_email            = google_service_account.function[each.key].email
    all_traffic_on_latest_revision   = true
    # HTTP functions are called by API Gateway from outside the project; event functions only
    # by Pub/Sub push from within it. Neither is publicly invokable: IAM decides (run.invoker).
    ingress_settings = each.value.kind == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"
    environment_variables = merge(
      var.environment,
      each.value.redis ? var.redis_environment : {},
      {
        GOOGLE_CLOUD_PROJECT = var.project_id
        FUNCTION_KIND        = each.value.kind
        LOG_EXECUTION_ID     = "true"
        # functions-framework 3.10.2 serves with gunicorn: WORKERS processes (default 1) of
        # THREADS threads (default 4 per CPU). One thread per request Cloud Run may send the
        # instance, or requests queue inside it.
        WORKERS = "1"
        THREADS = tostring(each.value.concurrency)
      },
    )

    # Only the functions that reach Redis egress into the VPC (private ranges only).
    direct_vpc_egress             = each.value.redis && var.vpc.egress == "direct" ? "VPC_EGRESS_PRIVATE_RANGES_ONLY" : null
    vpc_connector                 = each.value.redis && var.vpc.egress == "connector" ? var.vpc.connector_id : null
    vpc_connector_egress_settings = each.value.redis && var.vpc.egress == "connector" ? "PRIVATE_RANGES_ONLY" : null
    dynamic "direct_vpc_network_interface" {
      for_each = each.value.redis && var.vpc.egress == "direct" ? [1] : []
      content {
        network    = var.vpc.network
        subnetwork = var.vpc.subnetwork
        tags       = ["kwetter-fn"]
      }
    }

    dynamic "secret_environment_variables" {
      for_each = each.value.redis ? { REDIS_URL = var.redis_url_secret } : {}
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = var.redis_url_version
      }
    }

    dynamic "secret_environment_variables" {
      for_each = each.value.neo4j ? var.neo4j_secrets : {}
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }

    dynamic "secret_volumes" {
      for_each = each.value.redis && var.redis_tls ? [var.redis_ca_secret] : []
      content {
        mount_path = var.redis_ca_mount_path
        project_id = var.project_id
        secret     = secret_volumes.value
        versions {
          version = "latest"
          path    = "ca.pem"
        }
      }
    }
  }

  depends_on = [
    google_project_iam_member.datastore_user,
    google_secret_manager_secret_iam_member.neo4j,
    google_secret_manager_secret_iam_member.redis,
    google_project_iam_member.redis_iam_auth,
    google_project_iam_member.builder_logs,
    google_project_iam_member.builder_sources,
    google_artifact_registry_repository_iam_member.builder,
  ]
}
