# The built SPA (frontend/dist, uploaded by `make deploy`) in a bucket, served by an external
# Application Load Balancer with Cloud CDN; HTTPS with a Google-managed certificate when a
# domain is set, and HTTP then only redirects.
locals {
  https = var.domain != ""
}

resource "google_storage_bucket" "site" {
  # checkov:skip=CKV_GCP_28: the SPA's files are public by nature; Cloud CDN backend buckets read public objects.
  # checkov:skip=CKV_GCP_62: access logs of a public static site are the load balancer's request logs (enabled below).
  # checkov:skip=CKV_GCP_114: public access prevention would block the public read the CDN serves.
  project                     = var.project_id
  name                        = "${var.project_id}-${var.name}-site"
  location                    = var.bucket_location
  uniform_bucket_level_access = true
  force_destroy               = true
  labels                      = var.labels
  website {
    main_page_suffix = "index.html"
    # Client-side routes (/u/alice) are served the app, which routes them itself.
    not_found_page = "index.html"
  }
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      num_newer_versions = 3
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_iam_member" "public_read" {
  # checkov:skip=CKV_GCP_28: this bucket holds only the built SPA, which every visitor downloads anyway.
  bucket = google_storage_bucket.site.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

resource "google_compute_backend_bucket" "site" {
  project     = var.project_id
  name        = "${var.name}-site"
  bucket_name = google_storage_bucket.site.name
  enable_cdn  = true
  cdn_policy {
    cache_mode        = "CACHE_ALL_STATIC"
    default_ttl       = 3600
    max_ttl           = 86400
    client_ttl        = 3600
    negative_caching  = true
    serve_while_stale = 86400
  }
}

resource "google_compute_global_address" "site" {
  project = var.project_id
  name    = "${var.name}-site"
}

resource "google_compute_backend_bucket" "media" {
  count       = var.serve_media ? 1 : 0
  project     = var.project_id
  name        = "${var.name}-media"
  bucket_name = var.media_bucket
  enable_cdn  = true
  cdn_policy {
    # Variants never change under a name (a new image is a new media id): cache for long.
    cache_mode       = "CACHE_ALL_STATIC"
    default_ttl      = 86400
    max_ttl          = 31536000
    client_ttl       = 86400
    negative_caching = true
  }
}

resource "google_compute_url_map" "site" {
  project         = var.project_id
  name            = "${var.name}-site"
  default_service = google_compute_backend_bucket.site.id

  # Object names are m/<media id>/<size>.webp, so /m/... maps onto the bucket as is.
  dynamic "host_rule" {
    for_each = var.serve_media ? [1] : []
    content {
      hosts        = ["*"]
      path_matcher = "site"
    }
  }
  dynamic "path_matcher" {
    for_each = var.serve_media ? [1] : []
    content {
      name            = "site"
      default_service = google_compute_backend_bucket.site.id
      path_rule {
        paths   = ["/m/*"]
        service = google_compute_backend_bucket.media[0].id
      }
    }
  }
}

resource "google_compute_managed_ssl_certificate" "site" {
  count   = local.https ? 1 : 0
  project = var.project_id
  name    = "${var.name}-site"
  managed {
    domains = [var.domain]
  }
}

resource "google_compute_ssl_policy" "modern" {
  count           = local.https ? 1 : 0
  project         = var.project_id
  name            = "${var.name}-modern-tls"
  profile         = "MODERN"
  min_tls_version = "TLS_1_2"
}

resource "google_compute_target_https_proxy" "site" {
  count            = local.https ? 1 : 0
  project          = var.project_id
  name             = "${var.name}-site"
  url_map          = google_compute_url_map.site.id
  ssl_certificates = [google_compute_managed_ssl_certificate.site[0].id]
  ssl_policy       = google_compute_ssl_policy.modern[0].id
}

resource "google_compute_global_forwarding_rule" "https" {
  count                 = local.https ? 1 : 0
  project               = var.project_id
  name                  = "${var.name}-site-https"
  ip_address            = google_compute_global_address.site.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.site[0].id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# With a domain, port 80 only redirects to HTTPS.
resource "google_compute_url_map" "redirect" {
  count   = local.https ? 1 : 0
  project = var.project_id
  name    = "${var.name}-site-redirect"
  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "site" {
  project = var.project_id
  name    = "${var.name}-site-http"
  url_map = local.https ? google_compute_url_map.redirect[0].id : google_compute_url_map.site.id
}

resource "google_compute_global_forwarding_rule" "http" {
  project               = var.project_id
  name                  = "${var.name}-site-http"
  ip_address            = google_compute_global_address.site.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.site.id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}
