locals {
  # Every $${...} of openapi.yaml: the project (Firebase token issuer and audience) and one
  # backend address per HTTP function. templatefile fails on any variable left unset.
  # The gateway gets JSON: yamldecode resolves the contract's YAML anchors (&users / *users),
  # which API Gateway's importer is not documented to resolve, and JSON has none.
  contract = yamldecode(templatefile(var.openapi_file, merge(
    { project_id = var.project_id },
    { for name, url in var.backend_urls : "${name}_url" => url },
  )))

  # Optional quota (var.quota): API Gateway counts requests per minute per consumer project,
  # identified by an API key on every request, so with one web app it is a ceiling on the whole
  # API, not a limit per user or per address (docs/deploy.md).
  quota = {
    "x-google-management" = {
      metrics = [{
        name        = "kwetter-requests"
        displayName = "Kwetter API requests"
        valueType   = "INT64"
        metricKind  = "DELTA"
      }]
      quota = {
        limits = [{
          name   = "kwetter-requests-per-minute"
          metric = "kwetter-requests"
          unit   = "1/min/{project}"
          values = { STANDARD = try(var.quota.requests_per_minute, 0) }
        }]
      }
    }
    securityDefinitions = merge(local.contract.securityDefinitions, {
      api_key = { type = "apiKey", name = "key", "in" = "query" }
    })
    # Both: the Firebase ID token and the API key (the web app's Firebase API key).
    security = [{ for name in concat(keys(local.contract.securityDefinitions), ["api_key"]) : name => [] }]
    paths = {
      for path, ops in local.contract.paths : path => {
        for method, op in ops : method => merge(op, {
          "x-google-quota" = { metricCosts = { "kwetter-requests" = 1 } }
        })
      }
    }
  }

  spec = jsonencode(merge(local.contract, { for k, v in local.quota : k => v if var.quota != null }))
}

resource "google_api_gateway_api" "this" {
  provider     = google-beta
  project      = var.project_id
  api_id       = var.api_id
  display_name = "Kwetter API"
  labels       = var.labels
}

# API Gateway calls the functions as this identity, with an ID token for each backend.
resource "google_service_account" "gateway" {
  project      = var.project_id
  account_id   = "${var.api_id}-gateway"
  display_name = "API Gateway -> Kwetter HTTP functions"
}

resource "google_cloud_run_v2_service_iam_member" "gateway_invoker" {
  for_each = var.backend_services
  project  = var.project_id
  location = var.region
  name     = each.value
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.gateway.email}"
}

resource "google_api_gateway_api_config" "this" {
  provider             = google-beta
  project              = var.project_id
  api                  = google_api_gateway_api.this.api_id
  api_config_id_prefix = "${var.api_id}-"
  display_name         = "Kwetter API ${substr(sha256(local.spec), 0, 8)}"
  labels               = var.labels

  openapi_documents {
    document {
      path     = "openapi.json"
      contents = base64encode(local.spec)
    }
  }

  gateway_config {
    backend_config {
      google_service_account = google_service_account.gateway.email
    }
  }

  # A config cannot change in place: build the new one, move the gateway, then drop the old.
  lifecycle {
    create_before_destroy = true
  }
}

resource "google_api_gateway_gateway" "this" {
  provider     = google-beta
  project      = var.project_id
  region       = var.region
  gateway_id   = var.api_id
  api_config   = google_api_gateway_api_config.this.id
  display_name = "Kwetter gateway"
  labels       = var.labels
  depends_on   = [google_cloud_run_v2_service_iam_member.gateway_invoker]
}

# The API's own managed service must be on for the gateway to serve it.
resource "google_project_service" "managed" {
  project            = var.project_id
  service            = google_api_gateway_api.this.managed_service
  disable_on_destroy = false
}
