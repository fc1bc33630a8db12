# Bundling, in Terraform alone: each function's zip holds functions/<name>/* at its root plus
# the shared/ package beside main.py (so `import shared...` works), without devstack (the
# laptop's service launcher) and without caches. Sources are text, read with file(); the zip is
# deterministic (the archive provider fixes timestamps), so its MD5 names the uploaded object
# and a change to either folder, and only a change, rebuilds the function.
locals {
  text_file = "\\.(py|pyi|typed|txt|yaml|yml|json|toml|cfg|lua)$"
  shared_files = sort([
    for f in fileset("${var.repo_root}/shared", "**") : f
    if !startswith(f, "devstack/") && !strcontains(f, "__pycache__") && can(regex(local.text_file, f))
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
  redis_grants = merge([
    for name, _ in var.functions : {
      for kind, secret in local.redis_secrets : "${name}/${kind}" => { function = name, secret = secret }
    }
  ]...)
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
  # Zips are only read while a function builds; keep a month of history.
  lifecycle_rule {
    condition {
      age = 30
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

# Builds run as this account rather than the Compute Engine default one (which may be Editor).
resource "google_service_account" "builder" {
  project      = var.project_id
  account_id   = "kwetter-fn-builder"
  display_name = "Builds Kwetter functions"
}

resource "google_project_iam_member" "builder" {
  for_each = toset([
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
    "roles/storage.objectViewer",
  ])
  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.builder.email}"
}

resource "google_cloudfunctions2_function" "this" {
  for_each    = var.functions
  project     = var.project_id
  location    = var.region
  name        = local.service_names[each.key]
  description = "Kwetter ${each.value.kind} function ${each.key}"
  labels      = merge(var.labels, { kind = each.value.kind })

  build_config {
    runtime         = var.runtime
    entry_point     = each.key
    service_account = google_service_account.builder.id
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
    environment_variables = merge(var.environment, {
      GOOGLE_CLOUD_PROJECT = var.project_id
      FUNCTION_KIND        = each.value.kind
      LOG_EXECUTION_ID     = "true"
    })

    direct_vpc_egress             = var.vpc.egress == "direct" ? "VPC_EGRESS_PRIVATE_RANGES_ONLY" : null
    vpc_connector                 = var.vpc.egress == "connector" ? var.vpc.connector_id : null
    vpc_connector_egress_settings = var.vpc.egress == "connector" ? "PRIVATE_RANGES_ONLY" : null
    dynamic "direct_vpc_network_interface" {
      for_each = var.vpc.egress == "direct" ? [1] : []
      content {
        network    = var.vpc.network
        subnetwork = var.vpc.subnetwork
        tags       = ["kwetter-fn"]
      }
    }

    secret_environment_variables {
      key        = "REDIS_URL"
      project_id = var.project_id
      secret     = var.redis_url_secret
      version    = var.redis_url_version
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
      for_each = var.redis_tls ? [var.redis_ca_secret] : []
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
    google_project_iam_member.builder,
  ]
}
